using System.Diagnostics;

namespace DiskAnn.Benchmarks;

/// <summary>What one run shares between commands: options, the data, its ground truth and a scratch directory.</summary>
public sealed class BenchContext : IDisposable
{
    private Dataset? _data;
    private GroundTruth? _truth;

    public BenchContext(Options options)
    {
        Options = options;
        var root = options.DbDirectory ?? Path.GetTempPath();
        WorkDirectory = Path.Combine(root, $"diskann-bench-{Environment.ProcessId}");
        Directory.CreateDirectory(WorkDirectory);
    }

    public Options Options { get; }

    public string WorkDirectory { get; }

    public int K => Options.K;

    /// <summary>The result of the <c>sql</c> command, reused by the commands after it in one <c>all</c> run.</summary>
    public SqlBench.Result? SqlResult { get; set; }

    public Dataset Data => _data ??= Load();

    public GroundTruth Truth
    {
        get
        {
            if (_truth is null)
            {
                var sw = Stopwatch.StartNew();
                _truth = GroundTruth.Compute(Data, K);
                Report.Progress($"ground truth (exact top-{K}, {Environment.ProcessorCount} threads): {sw.Elapsed.TotalSeconds:0.00} s");
            }

            return _truth;
        }
    }

    public string NewDatabasePath(string name)
    {
        var path = Path.Combine(WorkDirectory, name + ".db");
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(path + suffix);
        }

        return path;
    }

    public void Dispose()
    {
        if (!Options.Keep)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(WorkDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Dataset Load()
    {
        var sw = Stopwatch.StartNew();
        Dataset data;
        if (Options.Synthetic is { } n)
        {
            var metric = Options.Get("metric") == "cosine" ? Metric.Cosine : Metric.L2;
            data = Dataset.Synthetic(n, Options.QueryLimit ?? 1000, Options.Dimension, metric);
        }
        else
        {
            var metric = Options.Get("metric") == "l2" ? Metric.L2 : Metric.Cosine;
            data = Dataset.LoadFvecs(Options.ResolveDataPath(), Options.BaseLimit, Options.QueryLimit, metric);
        }

        Report.Progress($"data: {data.Name}, loaded in {sw.Elapsed.TotalSeconds:0.00} s");
        return data;
    }
}

/// <summary>Runs a query function over every query, timed, and scores it against ground truth.</summary>
public static class QueryRun
{
    /// <summary>Fills <paramref name="found"/> with base indices (nearest first); returns how many.</summary>
    public delegate int Search(int query, Span<int> found);

    public readonly record struct Outcome(double Recall, double Qps, double MeanMs, double P90Ms, int ShortAnswers);

    /// <summary>
    /// Passes over the queries per measurement; the reported figures are those of the median pass (by total time),
    /// which damps interference from other processes on a shared machine. Set by <c>--repeat</c>.
    /// </summary>
    public static int Repeat { get; set; } = 3;

    /// <summary>
    /// Two searches measured beside each other: their passes alternate (which goes first alternating too), so that a drift
    /// of the shared machine's speed falls on both; <c>Ratio</c> is the median over the pairs of passes of the first's time
    /// over the second's. Each outcome is that of its own median pass, as <see cref="Measure"/> reports it.
    /// </summary>
    public static (Outcome First, Outcome Second, double Ratio) MeasureBeside(
        Dataset data, int k, (GroundTruth Truth, Search Search, bool[]? Allowed) first, (GroundTruth Truth, Search Search, bool[]? Allowed) second, int pairs = 5)
    {
        var n = data.QueryCount;
        var runs = new[] { first, second };
        var found = runs.Select(_ => new int[n * k]).ToArray();
        var counts = runs.Select(_ => new int[n]).ToArray();
        var passes = runs.Select(_ => new List<(double Seconds, double[] Latencies)>()).ToArray();
        for (var r = 0; r < 2; r++)
        {
            for (var q = 0; q < Math.Min(50, n); q++)
            {
                runs[r].Search(q, found[r].AsSpan(q * k, k));
            }
        }

        var ratios = new List<double>();
        for (var pair = 0; pair < Math.Max(1, pairs); pair++)
        {
            for (var turn = 0; turn < 2; turn++)
            {
                var r = (pair + turn) % 2;
                var latencies = new double[n];
                var total = Stopwatch.StartNew();
                for (var q = 0; q < n; q++)
                {
                    var start = Stopwatch.GetTimestamp();
                    counts[r][q] = runs[r].Search(q, found[r].AsSpan(q * k, k));
                    latencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }

                passes[r].Add((total.Elapsed.TotalSeconds, latencies));
            }

            ratios.Add(passes[0][^1].Seconds / passes[1][^1].Seconds);
        }

        ratios.Sort();
        var outcomes = new Outcome[2];
        for (var r = 0; r < 2; r++)
        {
            var sorted = passes[r].OrderBy(p => p.Seconds).ToList();
            var (seconds, median) = sorted[sorted.Count / 2];
            double recall = 0;
            var shortAnswers = 0;
            for (var q = 0; q < n; q++)
            {
                recall += runs[r].Truth.Recall(data, q, found[r].AsSpan(q * k, counts[r][q]), runs[r].Allowed);
                shortAnswers += counts[r][q] < Math.Min(k, runs[r].Truth.Counts[q]) ? 1 : 0;
            }

            Array.Sort(median);
            outcomes[r] = new Outcome(recall / n, n / seconds, seconds * 1000 / n, median[(int)(0.9 * (n - 1))], shortAnswers);
        }

        return (outcomes[0], outcomes[1], ratios[ratios.Count / 2]);
    }

    public static Outcome Measure(Dataset data, GroundTruth truth, int k, Search search, int? queryCount = null, bool[]? allowed = null, int warmup = 50)
    {
        var n = Math.Min(queryCount ?? data.QueryCount, data.QueryCount);
        var found = new int[n * k];
        var counts = new int[n];
        for (var q = 0; q < Math.Min(warmup, n); q++)
        {
            search(q, found.AsSpan(q * k, k));
        }

        var passes = new List<(double Seconds, double[] Latencies)>();
        for (var pass = 0; pass < Math.Max(1, Repeat); pass++)
        {
            var passLatencies = new double[n];
            var total = Stopwatch.StartNew();
            for (var q = 0; q < n; q++)
            {
                var start = Stopwatch.GetTimestamp();
                counts[q] = search(q, found.AsSpan(q * k, k));
                passLatencies[q] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }

            passes.Add((total.Elapsed.TotalSeconds, passLatencies));
        }

        passes.Sort((a, b) => a.Seconds.CompareTo(b.Seconds));
        var (seconds, median) = passes[passes.Count / 2];
        double recall = 0;
        var shortAnswers = 0;
        for (var q = 0; q < n; q++)
        {
            recall += truth.Recall(data, q, found.AsSpan(q * k, counts[q]), allowed);
            if (counts[q] < Math.Min(k, truth.Counts[q]))
            {
                shortAnswers++;
            }
        }

        var latencies = median;
        Array.Sort(latencies);
        return new Outcome(recall / n, n / seconds, seconds * 1000 / n, latencies[(int)(0.9 * (n - 1))], shortAnswers);
    }
}
