using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 2: build the index through SQL in one transaction into a file database; index size; recall@k and QPS
/// through SQL per search_list_size; exact scans through SQL and in process.
/// </summary>
public static class SqlBench
{
    public const string Table = "idx";

    public sealed record Result(
        SqlIndex.BuildTimes Build,
        long IndexBytes,
        string SizeBreakdown,
        IReadOnlyList<(int L, QueryRun.Outcome Outcome)> Curve,
        QueryRun.Outcome ExactSql,
        QueryRun.Outcome ExactSimd,
        string DbPath,
        int OperatingL)
    {
        public QueryRun.Outcome AtOperatingPoint => Curve.First(c => c.L == OperatingL).Outcome;
    }

    public static Result Run(BenchContext context)
    {
        if (context.SqlResult is { } cached)
        {
            return cached;
        }

        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var options = context.Options;
        var path = context.NewDatabasePath("index");

        Report.Progress($"sql: building {data.BaseCount:N0} rows into {path}");
        SqlIndex.BuildTimes build;
        long indexBytes;
        string breakdown;
        using (var connection = SqlIndex.Open(path))
        {
            build = SqlIndex.Build(connection, data, Table, options.IndexOptions, SqlIndex.AllRows(data));
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            (indexBytes, breakdown) = SqlIndex.IndexBytes(connection, data, Table, options.IndexOptions);
        }

        Report.Progress($"sql: built in {build.TotalSeconds:0.00} s (inserts {build.InsertSeconds:0.00} s, commit {build.CommitSeconds:0.00} s, {build.CoresUsed:0.00} cores)");

        var curve = new List<(int, QueryRun.Outcome)>();
        using (var connection = SqlIndex.Open(path))
        using (var knn = new KnnQuery(connection, Table, k, withListSize: true))
        {
            knn.Prepare();
            foreach (var l in options.SearchListSizes.Where(l => l >= k))
            {
                knn.ListSize = l;
                var outcome = QueryRun.Measure(data, truth, k, (q, found) => knn.Run(data.QueryBlobs[q], found));
                curve.Add((l, outcome));
                Report.Progress($"sql: L={l} recall {outcome.Recall:0.0000} QPS {outcome.Qps:0}");
            }
        }

        var exactSql = ExactSqlScan(context);
        var searcher = new ExactSearcher(data);
        var distances = new float[k];
        var exactSimd = QueryRun.Measure(data, truth, k, (q, found) => searcher.Search(data.Query(q), k, default, found, distances), warmup: 5);

        var operatingL = options.OperatingL
            ?? curve.Where(c => c.Item2.Recall >= options.TargetRecall).Select(c => (int?)c.Item1).FirstOrDefault()
            ?? curve[^1].Item1;
        var result = new Result(build, indexBytes, breakdown, curve, exactSql, exactSimd, path, operatingL);
        context.SqlResult = result;
        Print(context, result);
        return result;
    }

    /// <summary>An ordinary table holding the same BLOBs, scanned with vector_distance_* ORDER BY d LIMIT k.</summary>
    private static QueryRun.Outcome ExactSqlScan(BenchContext context)
    {
        var data = context.Data;
        var path = context.NewDatabasePath("plain");
        using var connection = SqlIndex.Open(path);
        SqlIndex.Exec(connection, "CREATE TABLE plain(id INTEGER PRIMARY KEY, vector BLOB NOT NULL)");
        using (var transaction = connection.BeginTransaction())
        {
            SqlIndex.Insert(connection, transaction, data, "plain", SqlIndex.AllRows(data).Select(r => (r.RowId, r.Index)), column: "vector");
            transaction.Commit();
        }

        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, vector_distance_{data.SqlMetric}(vector, $q) AS d FROM plain ORDER BY d LIMIT {context.K}";
        var q = command.Parameters.Add("$q", SqliteType.Blob);
        q.Value = data.QueryBlobs[0];
        command.Prepare();
        var outcome = QueryRun.Measure(
            context.Data,
            context.Truth,
            context.K,
            (query, found) =>
            {
                q.Value = data.QueryBlobs[query];
                using var reader = command.ExecuteReader();
                var n = 0;
                while (reader.Read() && n < found.Length)
                {
                    found[n++] = (int)(reader.GetInt64(0) - 1);
                }

                return n;
            },
            queryCount: context.Options.ExactSqlQueries,
            warmup: 3);
        Report.Progress($"sql: exact scan through SQL {outcome.Qps:0.0} QPS over {Math.Min(context.Options.ExactSqlQueries, data.QueryCount)} queries");
        return outcome;
    }

    private static void Print(BenchContext context, Result r)
    {
        var data = context.Data;
        Report.Heading($"Build and size through SQL — {data.Name}");
        Report.Table(new MarkdownTable("rows", "build (s)", "of which INSERTs (s)", "of which COMMIT (s)", "cores used", "index on disk (MB)", "raw float32 (MB)", "index / raw")
            .Add(data.BaseCount, r.Build.TotalSeconds, r.Build.InsertSeconds, r.Build.CommitSeconds, r.Build.CoresUsed, Report.Mb(r.IndexBytes), Report.Mb(data.RawBytes), Report.X((double)r.IndexBytes / data.RawBytes)));
        Report.Line($"Index size: {r.SizeBreakdown}. CREATE options: `{SqlIndex.CreateSql(data, Table, context.Options.IndexOptions)}`.");

        Report.Heading($"Queries through SQL, one at a time, k = {context.K}");
        var exactQps = r.ExactSql.Qps;
        var table = new MarkdownTable("method", "search_list_size", $"recall@{context.K}", "QPS", "mean ms", "p90 ms", "vs exact scan through SQL");
        foreach (var (l, o) in r.Curve)
        {
            table.Add("diskann (MATCH, prepared)", l, o.Recall, o.Qps, o.MeanMs, o.P90Ms, Report.X(o.Qps / exactQps));
        }

        table.Add($"exact scan through SQL (vector_distance_{data.SqlMetric}, {Math.Min(context.Options.ExactSqlQueries, data.QueryCount)} queries)", "", r.ExactSql.Recall, r.ExactSql.Qps, r.ExactSql.MeanMs, r.ExactSql.P90Ms, Report.X(1));
        table.Add("exact SIMD scan in process (TensorPrimitives, 1 thread)", "", r.ExactSimd.Recall, r.ExactSimd.Qps, r.ExactSimd.MeanMs, r.ExactSimd.P90Ms, Report.X(r.ExactSimd.Qps / exactQps));
        Report.Table(table);
        Report.Line($"Operating point used by the other commands: search_list_size = {r.OperatingL} (smallest with recall@{context.K} >= {context.Options.TargetRecall}).");
    }
}
