using System.Diagnostics;
using System.Text.RegularExpressions;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 4, cache budget: one float32 index declared with a (large) <c>cache_size_mb</c>, so its vectors are stored in
/// the small chunks a budgeted table uses, bulk-loaded unbudgeted (<c>'cache_size_mb=0'</c> on the loading
/// connection). Then, per budget (none, 100/50/25/10% of the raw vectors), a fresh connection sets it and runs the
/// queries: the first query (cold), the first 200 (filling), then every query again (warm), with recall (the same at
/// every budget) and the managed memory the connection holds.
/// </summary>
public static class CacheBench
{
    public const string Table = "idx";

    /// <summary>Declared budget (MiB) of the table: large enough never to evict, it only chooses the chunk size.</summary>
    private const int DeclaredMb = 100_000;

    private const int ColdQueries = 200;

    private static readonly double[] Fractions = [1.0, 0.5, 0.25, 0.1];

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var k = context.K;
        var l = options.OperatingL ?? 40;
        var createOptions = string.IsNullOrWhiteSpace(options.IndexOptions) ? $"cache_size_mb={DeclaredMb}" : $"cache_size_mb={DeclaredMb}, " + options.IndexOptions;
        var path = context.NewDatabasePath("cache");

        Report.Progress($"cache: building {data.BaseCount:N0} rows into {path} (declared cache_size_mb={DeclaredMb}, loaded with cache_size_mb=0)");
        SqlIndex.BuildTimes build;
        using (var connection = SqlIndex.Open(path))
        {
            SqlIndex.Exec(connection, SqlIndex.CreateSql(data, Table, createOptions));
            SqlIndex.Exec(connection, $"INSERT INTO {Table}({Table}) VALUES ('cache_size_mb=0')");
            build = SqlIndex.Load(connection, data, Table, SqlIndex.AllRows(data));
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        Report.Progress($"cache: built in {build.TotalSeconds:0.00} s ({build.CoresUsed:0.00} cores)");

        _ = context.Truth; // computed now, so that it is not counted in the memory a connection holds
        var table = new MarkdownTable("budget (cache_size_mb on the connection)", "budget / raw vectors", "first query ms (cold)", $"median ms, first {Math.Min(ColdQueries, data.QueryCount)} queries", "warm median ms", "warm QPS", $"recall@{k}", "held after the first query (MB)", "memory held (MB)");
        foreach (var (label, mb) in Budgets(data.RawBytes))
        {
            var r = Measure(context, path, mb, l);
            table.Add(label, mb == 0 ? "" : Report.X(mb * 1048576.0 / data.RawBytes), r.FirstMs, r.ColdMedianMs, r.WarmMedianMs, r.WarmQps, r.Recall, Report.Mb(r.FirstHeldBytes), Report.Mb(r.HeldBytes));
            Report.Progress($"cache: {label}: first {r.FirstMs:0.00} ms, first {ColdQueries} median {r.ColdMedianMs:0.000} ms, warm median {r.WarmMedianMs:0.000} ms ({r.WarmQps:0} QPS), recall {r.Recall:0.0000}, held {Report.Mb(r.FirstHeldBytes)} MB after the first query, {Report.Mb(r.HeldBytes)} MB warm");
        }

        var capacity = MaxDegree(options.IndexOptions) * 3 / 2;
        var adjacency = (long)data.BaseCount * (12 + (4 * capacity));
        Report.Heading($"Cache budget — {data.Name}, float32 vectors, search_list_size = {l}, k = {k}, one query at a time through SQL");
        Report.Table(table);
        Report.Line($"One index, built once ({build.TotalSeconds:0.0} s, {build.CoresUsed:0.00} cores) with `{SqlIndex.CreateSql(data, Table, createOptions)}` after `INSERT INTO {Table}({Table}) VALUES ('cache_size_mb=0')` on the loading connection "
            + $"(the declared budget only gives the table its small vector chunks, about 32 KiB; a re-rank reads a whole chunk back for any float32 vector of it that is not in memory; navigation reads only the int8 codes, which stay in memory). Each row: a fresh connection, `INSERT INTO {Table}({Table}) VALUES ('cache_size_mb=N')` (0 = no budget), then the {data.QueryCount:N0} queries once "
            + $"(the first one loads the index: the adjacency lists, and every vector once to derive the in-memory int8 codes; without a budget the vectors are kept, with one they are dropped and read back as re-ranking needs them), then once more (warm). "
            + "Cold means nothing cached by the index: the fresh connection's SQLite page cache is empty too, but the OS page cache still holds the file (just written), so a cold read is a copy from memory, not a disk read. "
            + $"Memory held: managed heap (GC.GetTotalMemory(true)) after the warm pass (and after the first query) minus before the connection opened; the adjacency lists always stay resident: about {Report.Mb(adjacency)} MB here (12 + 4 x {capacity} bytes x {data.BaseCount:N0} rows); raw vectors {Report.Mb(data.RawBytes)} MB.");
    }

    /// <summary>"no budget" (0), then 100/50/25/10% of the raw vectors, rounded up to whole MiB, at least 1.</summary>
    private static IEnumerable<(string Label, int Mb)> Budgets(long rawBytes)
    {
        yield return ("no budget", 0);
        foreach (var f in Fractions)
        {
            var mb = (int)Math.Max(1, Math.Ceiling(rawBytes * f / 1048576.0));
            yield return ($"{f * 100:0}% of raw: {mb} MiB", mb);
        }
    }

    private readonly record struct BudgetOutcome(double FirstMs, double ColdMedianMs, double WarmMedianMs, double WarmQps, double Recall, long FirstHeldBytes, long HeldBytes);

    private static BudgetOutcome Measure(BenchContext context, string path, int budgetMb, int listSize)
    {
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var n = data.QueryCount;
        var found = new int[n * k];
        var counts = new int[n];
        var baseline = GC.GetTotalMemory(true);
        using var connection = SqlIndex.Open(path);
        SqlIndex.Exec(connection, $"INSERT INTO {Table}({Table}) VALUES ('cache_size_mb={budgetMb}')");
        using var knn = new KnnQuery(connection, Table, k, withListSize: true);
        knn.ListSize = listSize;
        knn.Prepare();

        // First pass: cold, then filling the cache; its answers give the recall. What the first query alone loaded
        // is measured between it and the rest (outside the timings).
        var cold = new double[n];
        Pass(data, knn, found, counts, cold, 0, 1);
        var firstHeld = GC.GetTotalMemory(true) - baseline;
        Pass(data, knn, found, counts, cold, 1, n);
        double recall = 0;
        for (var q = 0; q < n; q++)
        {
            recall += truth.Recall(data, q, found.AsSpan(q * k, counts[q]));
        }

        // The first pass was the warm-up: one more pass over every query is the warm figure (a pass under a small
        // budget is slow, so it is not repeated).
        var warmLatencies = new double[n];
        var warmSeconds = Pass(data, knn, found, counts, warmLatencies, 0, n);
        var held = GC.GetTotalMemory(true) - baseline;
        GC.KeepAlive(connection);
        return new BudgetOutcome(cold[0], Median(cold.AsSpan(0, Math.Min(ColdQueries, n))), Median(warmLatencies), n / warmSeconds, recall / n, firstHeld, held);
    }

    /// <summary>Runs queries [from, to) one at a time into latencies (ms); returns the seconds they took.</summary>
    private static double Pass(Dataset data, KnnQuery knn, int[] found, int[] counts, double[] latencies, int from, int to)
    {
        var k = found.Length / counts.Length;
        var total = Stopwatch.StartNew();
        for (var q = from; q < to; q++)
        {
            var start = Stopwatch.GetTimestamp();
            counts[q] = knn.Run(data.QueryBlobs[q], found.AsSpan(q * k, k));
            latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        return total.Elapsed.TotalSeconds;
    }

    private static double Median(ReadOnlySpan<double> values)
    {
        var sorted = values.ToArray();
        Array.Sort(sorted);
        var m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    /// <summary>R from --index-options (max_degree=N), else the module's default 32; lists hold up to 1.5R edges.</summary>
    private static int MaxDegree(string? indexOptions) =>
        indexOptions is not null && Regex.Match(indexOptions, @"max_degree\s*=\s*(\d+)") is { Success: true } m
            ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : 32;
}
