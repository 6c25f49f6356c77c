using System.Globalization;

namespace DiskAnn.Benchmarks;

/// <summary>Command-line options shared by every command: <c>--name value</c> pairs and <c>--flag</c>s.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    public Options(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    _values[pending] = "true";
                }

                pending = arg[2..];
                var eq = pending.IndexOf('=');
                if (eq > 0)
                {
                    _values[pending[..eq]] = pending[(eq + 1)..];
                    pending = null;
                }
            }
            else if (pending is not null)
            {
                _values[pending] = arg;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }

        if (pending is not null)
        {
            _values[pending] = "true";
        }
    }

    public string? DataPath => Get("data");

    public int? Synthetic => GetInt("synthetic");

    public int Dimension => GetInt("dim") ?? 128;

    public int? BaseLimit => GetInt("base");

    public int? QueryLimit => GetInt("queries");

    public int K => GetInt("k") ?? 10;

    public int Threads => GetInt("threads") ?? 2;

    public int[] SearchListSizes => GetInts("L") ?? [10, 20, 40, 64, 100, 150, 200];

    /// <summary>Queries for the (slow) exact scan through SQL.</summary>
    public int ExactSqlQueries => GetInt("exact-queries") ?? 100;

    /// <summary>Extra <c>name=value</c> options appended to <c>CREATE VIRTUAL TABLE ... USING diskann(...)</c>.</summary>
    public string? IndexOptions => Get("index-options");

    public double TargetRecall => GetDouble("target-recall") ?? 0.95;

    /// <summary>search_list_size for the commands that use one operating point (writes, concurrency, churn, filtered).</summary>
    public int? OperatingL => GetInt("op-L");

    /// <summary>The larger search_list_size the history command reports besides the table's default.</summary>
    public int HistoryLargeL => GetInt("history-L") ?? 200;

    public int Ops => GetInt("ops") ?? 500;

    public int Rounds => GetInt("rounds") ?? 3;

    public double ChurnFraction => GetDouble("churn") ?? 0.3;

    /// <summary>pool: the numbers of pooled reader connections, one row each.</summary>
    public int[] PoolConnections => GetInts("connections") ?? [1, 2, 4, 8, 16];

    /// <summary>pool: seconds the readers (and the writer beside them) run for each number of connections.</summary>
    public double PoolSeconds => GetDouble("pool-seconds") ?? 5;

    /// <summary>pool: one-row autocommit inserts per second by one more connection beside the readers (0: no writer).</summary>
    public double PoolWritesPerSecond => GetDouble("writes-per-second") ?? 50;

    /// <summary>pool: fresh connections opened for the first-query measurement.</summary>
    public int PoolFreshConnections => GetInt("fresh") ?? 10;

    /// <summary>pool: rounds of (query on every reader, one-row commit, query on every reader).</summary>
    public int PoolCommitRounds => GetInt("commit-rounds") ?? 20;

    public int UsearchConnectivity => GetInt("usearch-m") ?? 16;

    public int UsearchExpansionAdd => GetInt("usearch-ef-add") ?? 128;

    public int[] UsearchExpansions => GetInts("expansions") ?? [10, 16, 24, 32, 48, 64, 96, 128, 192];

    public bool Keep => Has("keep");

    public string? DbDirectory => Get("db-dir");

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v : null;

    public int? GetInt(string name) => Get(name) is { } v ? int.Parse(v.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture) : null;

    public double? GetDouble(string name) => Get(name) is { } v ? double.Parse(v, CultureInfo.InvariantCulture) : null;

    public int[]? GetInts(string name) => Get(name) is { } v
        ? v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
        : null;

    /// <summary>The default data file: ../shared/data/debian-minilm/vectors.fvecs relative to the repository root.</summary>
    public string ResolveDataPath()
    {
        if (DataPath is { } explicitPath)
        {
            return explicitPath;
        }

        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "debian-minilm", "vectors.fvecs"));
            if (File.Exists(Path.Combine(dir.FullName, "DiskAnn.sln")) && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/work/shared/data/debian-minilm/vectors.fvecs";
    }
}
