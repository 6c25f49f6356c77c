using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Issue 3: the same KNN through LINQ (<c>OrderBy(EF.Functions.VectorDistance(...)).Take(k)</c>, rewritten by the
/// plugin into a MATCH on the index) and through a prepared raw SQL statement on the same connection, and the filtered
/// form (<c>Where</c> before <c>OrderBy</c>).
/// </summary>
public static class EfCoreBench
{
    public sealed class BenchDoc
    {
        public long Id { get; set; }

        public float[]? Embedding { get; set; }

        public int Bucket { get; set; }
    }

    public sealed class BenchDb(DbContextOptions<BenchDb> options, int dimension) : DbContext(options)
    {
        public DbSet<BenchDoc> Docs => Set<BenchDoc>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<BenchDoc>().HasDiskAnnIndex(d => d.Embedding, dimension);
            modelBuilder.Entity<BenchDoc>().HasIndex(d => d.Bucket);
        }
    }

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        if (data.Metric != Metric.Cosine)
        {
            Report.Line("efcore: skipped (HasDiskAnnIndex defaults to cosine; run it on debian-minilm).");
            return;
        }

        var path = context.NewDatabasePath("efcore");
        var options = new DbContextOptionsBuilder<BenchDb>()
            .UseSqlite(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString(), o => o.UseDiskAnn())
            .Options;
        using var db = new BenchDb(options, data.Dimension);
        db.Database.EnsureCreated();
        db.Database.OpenConnection();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        SqlIndex.Exec(connection, "PRAGMA journal_mode=WAL");

        var indexTable = (string)SqlIndex.Scalar(connection, "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%USING diskann%'")!;
        var docsTable = db.Model.FindEntityType(typeof(BenchDoc))!.GetTableName()!;

        // Bulk load through the entity table; the plugin's triggers fill the index, linked at COMMIT.
        var sw = Stopwatch.StartNew();
        using (var transaction = connection.BeginTransaction())
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO \"{docsTable}\"(\"Id\", \"Embedding\", \"Bucket\") VALUES ($id, $v, $b)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var blob = new byte[data.Dimension * sizeof(float)];
            var v = insert.Parameters.Add("$v", SqliteType.Blob);
            v.Value = blob;
            var b = insert.Parameters.Add("$b", SqliteType.Integer);
            insert.Prepare();
            for (var i = 0; i < data.BaseCount; i++)
            {
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Base(i)).CopyTo(blob);
                id.Value = (long)i + 1;
                b.Value = FilteredBench.Bucket(i + 1);
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        var loadSeconds = sw.Elapsed.TotalSeconds;
        Report.Progress($"efcore: loaded {data.BaseCount:N0} rows through the entity table in {loadSeconds:0.0} s");

        var queries = new float[data.QueryCount][];
        for (var q = 0; q < data.QueryCount; q++)
        {
            queries[q] = data.Query(q).ToArray();
        }

        // Raw SQL: the same KNN, prepared once, on the same connection.
        using var knn = new KnnQuery(connection, $"\"{indexTable}\"", k, withListSize: false);
        knn.Prepare();
        var raw = QueryRun.Measure(data, truth, k, (q, found) => knn.Run(data.QueryBlobs[q], found));

        // LINQ, as a user writes it. One untimed pass first: the bulk load above left the JIT's tiering and the
        // GC mid-way, and EF's query pipeline runs here for the first time.
        int Linq(int q, Span<int> found)
        {
            var vector = queries[q];
            var ids = db.Docs.AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(k).Select(d => d.Id).ToList();
            return Copy(ids, found);
        }

        QueryRun.Measure(data, truth, k, Linq);
        var linq = QueryRun.Measure(data, truth, k, Linq);

        // The shape: the distance projected beside the row.
        var linqProjected = QueryRun.Measure(data, truth, k, (q, found) =>
        {
            var vector = queries[q];
            var rows = db.Docs.AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(k)
                .Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, vector) }).ToList();
            return Copy(rows.ConvertAll(r => r.Id), found);
        });

        // LINQ, compiled once.
        var compiled = EF.CompileQuery((BenchDb c, float[] vector, int take) =>
            c.Docs.AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(take).Select(d => d.Id));
        var linqCompiled = QueryRun.Measure(data, truth, k, (q, found) => Copy(compiled(db, queries[q], k).ToList(), found));

        // Filtered: Where before OrderBy (10% of rows), against the exact filtered top k.
        const int buckets = 100;
        var allowed = new bool[data.BaseCount];
        var candidates = Enumerable.Range(0, data.BaseCount).Where(i => FilteredBench.Bucket(i + 1) < buckets).ToArray();
        foreach (var i in candidates)
        {
            allowed[i] = true;
        }

        var filteredTruth = GroundTruth.Compute(data, k, candidates);
        var linqFiltered = QueryRun.Measure(data, filteredTruth, k, (q, found) =>
        {
            var vector = queries[q];
            var ids = db.Docs.AsNoTracking().Where(d => d.Bucket < buckets).OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(k).Select(d => d.Id).ToList();
            return Copy(ids, found);
        }, allowed: allowed);
        using var rawFilteredQuery = new KnnQuery(connection, $"\"{indexTable}\"", k, withListSize: false, extraWhere: $"rowid IN (SELECT \"Id\" FROM \"{docsTable}\" WHERE \"Bucket\" < {buckets})");
        rawFilteredQuery.Prepare();
        var rawFiltered = QueryRun.Measure(data, filteredTruth, k, (q, found) => rawFilteredQuery.Run(data.QueryBlobs[q], found), allowed: allowed);

        var sampleVector = queries[0];
        var sql = db.Docs.AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, sampleVector)).Take(k).Select(d => d.Id).ToQueryString();
        sql = string.Join('\n', sql.Split('\n').Where(line => !line.StartsWith(".param", StringComparison.Ordinal))).Trim();

        Report.Heading($"EF Core LINQ vs raw SQL, same connection, {data.QueryCount:N0} queries one at a time, k = {k}, default search_list_size");
        var table = new MarkdownTable("query", $"recall@{k}", "QPS", "mean ms", "p90 ms", "time vs raw SQL");
        table.Add("raw SQL, prepared: `SELECT rowid, distance FROM ix WHERE vector MATCH $q AND k = 10`", raw.Recall, raw.Qps, raw.MeanMs, raw.P90Ms, Report.X(1));
        table.Add("LINQ `OrderBy(d => EF.Functions.VectorDistance(d.Embedding, q)).Take(10).Select(d => d.Id)`", linq.Recall, linq.Qps, linq.MeanMs, linq.P90Ms, Report.X(linq.MeanMs / raw.MeanMs));
        table.Add("LINQ `...Take(10).Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, q) })` (the issue's shape)", linqProjected.Recall, linqProjected.Qps, linqProjected.MeanMs, linqProjected.P90Ms, Report.X(linqProjected.MeanMs / raw.MeanMs));
        table.Add("same LINQ, EF.CompileQuery", linqCompiled.Recall, linqCompiled.Qps, linqCompiled.MeanMs, linqCompiled.P90Ms, Report.X(linqCompiled.MeanMs / raw.MeanMs));
        table.Add($"raw SQL filtered: `... AND rowid IN (SELECT Id FROM Docs WHERE Bucket < {buckets})` (10%, Bucket indexed)", rawFiltered.Recall, rawFiltered.Qps, rawFiltered.MeanMs, rawFiltered.P90Ms, Report.X(1));
        table.Add($"LINQ `Where(d => d.Bucket < {buckets}).OrderBy(...).Take(10)` (10%)", linqFiltered.Recall, linqFiltered.Qps, linqFiltered.MeanMs, linqFiltered.P90Ms, Report.X(linqFiltered.MeanMs / rawFiltered.MeanMs));
        Report.Table(table);
        Report.Line($"Load of {data.BaseCount:N0} rows through the entity table (triggers fill the index), one transaction: {loadSeconds:0.0} s. SQL EF generates:\n\n```sql\n{sql}\n```");
    }

    private static int Copy(List<long> ids, Span<int> found)
    {
        var n = Math.Min(ids.Count, found.Length);
        for (var i = 0; i < n; i++)
        {
            found[i] = (int)(ids[i] - 1);
        }

        return n;
    }
}
