using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 5: start from 70% of the base rows; each round deletes a fraction of the live rows (30%) and inserts as many
/// vectors that are not live (the held-out 30% first, then earlier deleted ones), always under new rowids. Recall at a
/// fixed search_list_size after each round, against a fresh build of the final rows.
/// </summary>
public static class ChurnBench
{
    private const string Table = "churn";

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var k = context.K;
        var l = options.OperatingL ?? context.SqlResult?.OperatingL ?? 64;
        var random = new Random(11);

        var initial = (int)(data.BaseCount * 0.7);
        var rowToIndex = new Dictionary<long, int>();
        var live = new List<long>();
        var waiting = new Queue<int>(Enumerable.Range(initial, data.BaseCount - initial));
        for (var i = 0; i < initial; i++)
        {
            rowToIndex[i + 1] = i;
            live.Add(i + 1);
        }

        var nextRowId = 10_000_001L;
        var path = context.NewDatabasePath("churn");
        var table = new MarkdownTable("state", "live rows", "deleted", "inserted", "DELETE txn (s)", "INSERT txn (s)", $"recall@{k} (L={l})", "QPS", "index MB in use");
        using var connection = SqlIndex.Open(path);
        var build = SqlIndex.Build(connection, data, Table, options.IndexOptions, live.Select(r => (r, rowToIndex[r])));
        Report.Progress($"churn: initial build of {initial:N0} rows in {build.TotalSeconds:0.00} s");
        var (recall, qps) = Score(context, connection, Table, l, rowToIndex);
        table.Add("initial build", live.Count, "", "", "", build.TotalSeconds, recall, qps, Report.Mb(SqlIndex.IndexBytes(connection, data, Table, options.IndexOptions).Total));

        for (var round = 1; round <= options.Rounds; round++)
        {
            var count = (int)(live.Count * options.ChurnFraction);
            // Partial Fisher-Yates: the last `count` entries of `live` become the victims.
            for (var i = 0; i < count; i++)
            {
                var j = random.Next(live.Count - i);
                (live[j], live[live.Count - 1 - i]) = (live[live.Count - 1 - i], live[j]);
            }

            var victims = live.GetRange(live.Count - count, count);
            live.RemoveRange(live.Count - count, count);

            var sw = Stopwatch.StartNew();
            using (var transaction = connection.BeginTransaction())
            using (var delete = connection.CreateCommand())
            {
                delete.Transaction = transaction;
                delete.CommandText = $"DELETE FROM {Table} WHERE rowid = $id";
                var id = delete.Parameters.Add("$id", SqliteType.Integer);
                delete.Prepare();
                foreach (var rowId in victims)
                {
                    id.Value = rowId;
                    delete.ExecuteNonQuery();
                }

                transaction.Commit();
            }

            var deleteSeconds = sw.Elapsed.TotalSeconds;
            var inserts = new List<(long, int)>(count);
            for (var i = 0; i < count; i++)
            {
                var index = waiting.Dequeue();
                var rowId = nextRowId++;
                inserts.Add((rowId, index));
                rowToIndex[rowId] = index;
                live.Add(rowId);
            }

            foreach (var rowId in victims)
            {
                waiting.Enqueue(rowToIndex[rowId]);
                rowToIndex.Remove(rowId);
            }

            sw.Restart();
            using (var transaction = connection.BeginTransaction())
            {
                SqlIndex.Insert(connection, transaction, data, Table, inserts);
                transaction.Commit();
            }

            var insertSeconds = sw.Elapsed.TotalSeconds;
            (recall, qps) = Score(context, connection, Table, l, rowToIndex);
            table.Add($"after round {round}", live.Count, count, count, deleteSeconds, insertSeconds, recall, qps, Report.Mb(SqlIndex.IndexBytes(connection, data, Table, options.IndexOptions).Total));
            Report.Progress($"churn round {round}: recall {recall:0.0000}");
        }

        var churnedRecall = recall;
        var freshPath = context.NewDatabasePath("churn-fresh");
        using (var fresh = SqlIndex.Open(freshPath))
        {
            var freshBuild = SqlIndex.Build(fresh, data, Table, options.IndexOptions, live.Select(r => (r, rowToIndex[r])));
            (recall, qps) = Score(context, fresh, Table, l, rowToIndex);
            table.Add("fresh build of the final rows", live.Count, "", "", "", freshBuild.TotalSeconds, recall, qps, Report.Mb(SqlIndex.IndexBytes(fresh, data, Table, options.IndexOptions).Total));
        }

        Report.Heading($"Churn: {options.Rounds} rounds of deleting {options.ChurnFraction:P0} of the rows and inserting as many ({data.Name})");
        Report.Table(table);
        Report.Line($"Recall gap, fresh minus churned: {recall - churnedRecall:+0.0000;-0.0000} (target: within 0.02). Ground truth is recomputed over the live rows after each round.");
    }

    private static (double Recall, double Qps) Score(BenchContext context, SqliteConnection connection, string table, int l, Dictionary<long, int> rowToIndex)
    {
        var data = context.Data;
        var liveIndices = rowToIndex.Values.ToArray();
        Array.Sort(liveIndices);
        var allowed = new bool[data.BaseCount];
        foreach (var i in liveIndices)
        {
            allowed[i] = true;
        }

        var truth = GroundTruth.Compute(data, context.K, liveIndices);
        using var knn = new KnnQuery(connection, table, context.K, withListSize: true);
        knn.ListSize = l;
        knn.Prepare();
        Func<long, int> map = rowId => rowToIndex.TryGetValue(rowId, out var index) ? index : -1;
        var outcome = QueryRun.Measure(data, truth, context.K, (q, found) => knn.Run(data.QueryBlobs[q], found, map), allowed: allowed);
        return (outcome.Recall, outcome.Qps);
    }
}
