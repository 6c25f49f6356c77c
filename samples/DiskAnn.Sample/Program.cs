using DiskAnn.Sample;

if (args.Length >= 2 && args[0] == "--prepare")
{
    return Prepare.Run(args[1], args.Length > 2 ? args[2] : Path.Combine("samples", "DiskAnn.Sample", "data", PackageData.FileName));
}

Console.WriteLine("sample");
return 0;
