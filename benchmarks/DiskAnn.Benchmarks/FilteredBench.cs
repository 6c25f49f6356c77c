using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 5: filtered KNN, <c>rowid IN (SELECT id FROM docs WHERE bucket &lt; $b)</c> with bucket = hash(id) % 1000,
/// for predicates allowing 0.1%, 1%, 10% and 50% of the rows, against the exact filtered top k.
/// </summary>
public static class FilteredBench
{
    public static int Bucket(long id)
    {
        var x = (ulong)id;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return (int)(x % 1000);
    }

    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var k = context.K;
        var l = built.OperatingL;

        using var connection = SqlIndex.Open(built.DbPath);
        SqlIndex.Exec(connection, "DROP TABLE IF EXISTS docs");
        SqlIndex.Exec(connection, "CREATE TABLE docs(id INTEGER PRIMARY KEY, bucket INTEGER NOT NULL)");
        using (var transaction = connection.BeginTransaction())
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO docs(id, bucket) VALUES ($id, $b)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var b = insert.Parameters.Add("$b", SqliteType.Integer);
            insert.Prepare();
            for (var i = 0; i < data.BaseCount; i++)
            {
                id.Value = (long)i + 1;
                b.Value = Bucket(i + 1);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        SqlIndex.Exec(connection, "CREATE INDEX docs_bucket ON docs(bucket)");

        var table = new MarkdownTable("predicate", "allowed rows", $"recall@{k} vs exact filtered", "QPS", "mean ms", "p90 ms", $"queries with < {k} rows (of {data.QueryCount:N0})", "exact filtered scan in process, QPS");
        using var knn = new KnnQuery(connection, SqlBench.Table, k, withListSize: true, extraWhere: "rowid IN (SELECT id FROM docs WHERE bucket < $b)");
        var limit = knn.Parameters.Add("$b", SqliteType.Integer);
        knn.ListSize = l;
        limit.Value = 1;
        knn.Prepare();
        foreach (var buckets in new[] { 1, 10, 100, 500 })
        {
            var allowed = new bool[data.BaseCount];
            var candidates = new List<int>();
            for (var i = 0; i < data.BaseCount; i++)
            {
                if (Bucket(i + 1) < buckets)
                {
                    allowed[i] = true;
                    candidates.Add(i);
                }
            }

            var candidateArray = candidates.ToArray();
            var truth = GroundTruth.Compute(data, k, candidateArray);
            limit.Value = buckets;
            var outcome = QueryRun.Measure(data, truth, k, (q, found) => knn.Run(data.QueryBlobs[q], found), allowed: allowed);

            var searcher = new ExactSearcher(data);
            var distances = new float[k];
            var exact = QueryRun.Measure(data, truth, k, (q, found) => searcher.Search(data.Query(q), k, candidateArray, found, distances), allowed: allowed, warmup: 5);
            var label = $"bucket < {buckets} ({buckets / 10.0:0.#}%)";
            table.Add(label, candidateArray.Length, outcome.Recall, outcome.Qps, outcome.MeanMs, outcome.P90Ms, outcome.ShortAnswers, exact.Qps);
            Report.Progress($"filtered {label}: recall {outcome.Recall:0.0000} QPS {outcome.Qps:0} short {outcome.ShortAnswers}");
        }

        Report.Heading($"Filtered KNN through SQL (`vector MATCH $q AND k = {k} AND search_list_size = {l} AND rowid IN (SELECT id FROM docs WHERE bucket < $b)`)");
        Report.Table(table);
        Report.Line($"docs(id INTEGER PRIMARY KEY, bucket INTEGER) with an index on bucket; bucket = murmur3-finalizer(id) % 1000. Targets: recall@{k} >= 0.95 at each, zero short answers.");
    }
}
