using System.Diagnostics;

namespace DiskAnn.Sample;

/// <summary>
/// <c>--check</c>: embeds shipped descriptions again with the run-time model and compares the result with the
/// shipped vectors, which were made by the same package (only int8 quantisation separates them).
/// </summary>
public static class Check
{
    public static int Run(string dataFile)
    {
        var packages = PackageData.Read(dataFile);
        using var embedder = Embedder.Load();
        Console.WriteLine($"all-MiniLM-L6-v2 loaded in {embedder.LoadTime.TotalSeconds:F1} s");
        var probe = Enumerable.Range(0, 200).Select(i => packages[i * packages.Count / 200]).ToList();
        var sw = Stopwatch.StartNew();
        double worst = 1, sum = 0;
        foreach (var p in probe)
        {
            var c = Prepare.Cosine(embedder.Embed(p.Description), p.Embedding);
            worst = Math.Min(worst, c);
            sum += c;
        }

        Console.WriteLine($"re-embedded {probe.Count} shipped descriptions ({sw.Elapsed.TotalMilliseconds / probe.Count:F1} ms each): " +
                          $"cosine(run time, shipped) mean {sum / probe.Count:F6}, worst {worst:F6}");
        var ok = worst > 0.999;
        Console.WriteLine(ok ? "OK: the run-time embeddings match the shipped ones" : "MISMATCH: the run-time model does not reproduce the shipped vectors");
        return ok ? 0 : 1;
    }
}
