using System.Diagnostics;
using System.Runtime.InteropServices;
using DiskAnn.Benchmarks;

if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine("""
        usage: dotnet run -c Release --project benchmarks/DiskAnn.Benchmarks -- <command> [options]
        commands: sql | compare | writes | refresh | concurrency | quality | filtered | threshold | churn | scale | efcore | compressed | cache | history | pool | vectordata | plot | all
        data:     --data PATH (fvecs; default ../shared/data/debian-minilm/vectors.fvecs from the repo root)
                  --base N --queries N (limit) | --synthetic N [--dim 128] (clustered Gaussian, l2)  --metric cosine|l2
                  scale: --sizes 100000,1000000 (synthetic, independent of --data)
                  compressed: quantization=none vs int8 (and int8 + re-rank of 4k candidates), --L default 10,20,40,64,100
                  cache: cache_size_mb none/100/50/25/10% of the raw vectors, cold/warm latency at --op-L (default 40)
                  threshold: AND distance < t at the median k-th and k/2-th nearest distances vs the plain KNN (recall vs exact)
                  history: recall after a reload, a rewrite of every vector and back, a rowid shift, a 90% delete (each
                           in one transaction) vs a fresh build of the same rows, at the default L and --history-L (200)
                  pool: N pooled connections querying at once beside a 50 rows/s writer (QPS, memory), the first query on a
                        fresh connection, the next query after another connection's commit, EF Core per request; at --op-L
                        (default 20); --connections 1,2,4,8,16 --pool-seconds 5 --writes-per-second 50
                        --fresh 10 --commit-rounds 20
        index:    --L 10,20,40,64,100,150,200  --op-L N  --target-recall 0.95  --index-options "max_degree=32, ..."
        other:    --repeat 3 (passes per query measurement, median reported) --k 10 --threads 2 --exact-queries 100 --ops 500 --rounds 3 --churn 0.3
                  --usearch-m 16 --usearch-ef-add 128 --expansions 10,16,...  --db-dir DIR --keep
        """);
    return 0;
}

var command = args[0];
var options = new Options(args.Skip(1));
using var context = new BenchContext(options);
QueryRun.Repeat = options.GetInt("repeat") ?? 3;
Report.Line($"<!-- {string.Join(' ', args)} -->");
Report.Line($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.ProcessArchitecture}; load average at start {LoadAverage()} (the machine is shared: other processes compete for the 2 cores).");
var total = Stopwatch.StartNew();
switch (command)
{
    case "sql":
        SqlBench.Run(context);
        break;
    case "compare":
        CompareBench.Run(context);
        break;
    case "writes":
        WritesBench.Run(context);
        break;
    case "concurrency":
        ConcurrencyBench.Run(context);
        break;
    case "filtered":
        FilteredBench.Run(context);
        break;
    case "threshold":
        ThresholdBench.Run(context);
        break;
    case "churn":
        ChurnBench.Run(context);
        break;
    case "quality":
        BuildQualityBench.Run(context);
        break;
    case "scale":
        ScaleBench.Run(context);
        break;
    case "efcore":
        EfCoreBench.Run(context);
        break;
    case "refresh":
        RefreshBench.Run(context);
        break;
    case "compressed":
        CompressedBench.Run(context);
        break;
    case "cache":
        CacheBench.Run(context);
        break;
    case "history":
        HistoryBench.Run(context);
        break;
    case "pool":
        PoolBench.Run(context);
        break;
    case "vectordata":
        VectorDataBench.Run(context);
        break;
    case "plot":
        PlotBench.Run(context);
        break;
    case "all":
        CompareBench.Run(context);
        ConcurrencyBench.Run(context);
        BuildQualityBench.Run(context);
        FilteredBench.Run(context);
        WritesBench.Run(context);
        RefreshBench.Run(context);
        ChurnBench.Run(context);
        EfCoreBench.Run(context);
        ScaleBench.Run(context);
        CompressedBench.Run(context);
        CacheBench.Run(context);
        HistoryBench.Run(context);
        break;
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Try --help.");
        return 2;
}

Report.Line($"\nTotal {total.Elapsed.TotalSeconds:0} s; load average at the end {LoadAverage()}.");
Report.Progress($"done in {total.Elapsed.TotalSeconds:0.0} s");
return 0;

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
