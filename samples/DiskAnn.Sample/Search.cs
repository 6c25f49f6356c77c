using System.Diagnostics;
using System.Numerics.Tensors;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace DiskAnn.Sample;

/// <summary>The queries: k nearest packages by cosine distance, answered by the diskann index.</summary>
public sealed class Search(PackagesDb db, int k)
{
    private List<(int Id, float[] Embedding)>? _all;

    /// <summary>The query: answered by the diskann index, because it orders by the distance and takes k.</summary>
    private IQueryable<Hit> Nearest(float[] query, int count) =>
        db.Packages
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(count)
            .Select(p => new Hit(p.Id, p.Name, p.Description, EF.Functions.VectorDistance(p.Embedding, query)));

    /// <summary>The SQL EF Core sends for a query (the 1,536-byte vector parameter shortened).</summary>
    public string Sql(float[] query) => Regex.Replace(Nearest(query, k).ToQueryString(), "X'([0-9A-F]{16})[0-9A-F]{32,}'", "X'$1...'");

    /// <summary>Runs one query so that the timings below do not include EF Core's one-time query compilation.</summary>
    public async Task WarmUpAsync()
    {
        var sw = Stopwatch.StartNew();
        var v = new float[Embedder.Dimension];
        v[0] = 1;
        await Nearest(v, k).ToListAsync();
        Console.WriteLine($"first query (EF Core compiles it, the index opens) {sw.Elapsed.TotalMilliseconds:F0} ms");
    }

    public async Task SimilarToTextAsync(string text, Embedder embedder)
    {
        var sw = Stopwatch.StartNew();
        var query = embedder.Embed(text);
        var embedMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var hits = await Nearest(query, k).ToListAsync();
        var searchMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine();
        Console.WriteLine($"\"{text}\"  (embedded in {embedMs:F1} ms, searched in {searchMs:F1} ms; {await AgreementAsync(query, hits, 0)})");
        Print(hits);
    }

    public async Task SimilarToPackageAsync(string name)
    {
        var package = await db.Packages.AsNoTracking().Where(p => p.Name == name).Select(p => new { p.Id, p.Description, p.Embedding }).FirstOrDefaultAsync();
        Console.WriteLine();
        if (package is null)
        {
            var like = await db.Packages.Where(p => p.Name.Contains(name)).OrderBy(p => p.Name).Select(p => p.Name).Take(8).ToListAsync();
            Console.WriteLine($"no package named \"{name}\" among the sample's packages{(like.Count > 0 ? "; did you mean " + string.Join(", ", like) + "?" : ".")}");
            return;
        }

        var sw = Stopwatch.StartNew();
        // The package itself is its own nearest neighbour: ask for one more and leave it out.
        var hits = (await Nearest(package.Embedding, k + 1).ToListAsync()).Where(h => h.Id != package.Id).Take(k).ToList();
        var searchMs = sw.Elapsed.TotalMilliseconds;
        Console.WriteLine($"packages like {name} (\"{package.Description}\")  (searched in {searchMs:F1} ms; {await AgreementAsync(package.Embedding, hits, package.Id)})");
        Print(hits);
    }

    /// <summary>How many of the index's answers are among the exact k nearest (computed here by a full scan).</summary>
    private async Task<string> AgreementAsync(float[] query, List<Hit> hits, int excludeId)
    {
        if (_all is null)
        {
            var all = await db.Packages.AsNoTracking().Select(p => new { p.Id, p.Embedding }).ToListAsync();
            _all = all.Select(p => (p.Id, p.Embedding)).ToList();
        }

        var exact = _all.Where(p => p.Id != excludeId)
            .Select(p => (p.Id, Distance: 1 - TensorPrimitives.CosineSimilarity(p.Embedding, query)))
            .OrderBy(p => p.Distance)
            .Take(k)
            .ToList();
        if (exact.Count == 0) return "no rows";

        // Ties at the k-th distance are real in this data set (near-duplicate descriptions): accept either.
        var kth = exact[^1].Distance + 1e-6;
        var distance = _all.ToDictionary(p => p.Id, p => 1 - TensorPrimitives.CosineSimilarity(p.Embedding, query));
        var found = hits.Count(h => distance[h.Id] <= kth);
        return $"{found}/{exact.Count} of the exact top {exact.Count}";
    }

    private static void Print(List<Hit> hits)
    {
        var width = Math.Min(28, hits.Count == 0 ? 0 : hits.Max(h => h.Name.Length));
        foreach (var h in hits)
        {
            var description = h.Description.Length > 70 ? h.Description[..67] + "..." : h.Description;
            Console.WriteLine($"  {h.Distance:F3}  {h.Name.PadRight(width)}  {description}");
        }
    }

    public sealed record Hit(int Id, string Name, string Description, double Distance);
}
