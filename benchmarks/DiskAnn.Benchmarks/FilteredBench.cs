using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Filtered KNN (issue 12): the same predicates answered by filter columns of the index
/// (<c>diskann(..., bucket INTEGER, lang TEXT, price REAL, kind TEXT, tenant INTEGER PARTITION KEY)</c>, evaluated
/// inside the search) and by <c>rowid IN (SELECT id FROM docs WHERE ...)</c> over an indexed ordinary table, each
/// against the exact filtered top k, beside the unfiltered search of the same table.
/// </summary>
public static class FilteredBench
{
    public const string FilteredTable = "docs_f";

    /// <summary>murmur3's finalizer: a well-spread pseudo-random function of an id (and a seed).</summary>
    public static int Bucket(long id, int modulus = 1000, ulong seed = 0)
    {
        var x = (ulong)id ^ seed;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return (int)(x % (ulong)modulus);
    }

    private sealed record Row(int Bucket, string Lang, double Price, string Kind, int Tenant);

    private sealed record Case(string Label, string Where, Func<Row, bool> Passes);

    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var k = context.K;
        var l = built.OperatingL;
        var rows = Enumerable.Range(0, data.BaseCount).Select(i => MakeRow(i + 1, Kinds(context))).ToArray();

        using var connection = SqlIndex.Open(built.DbPath);
        SqlIndex.Exec(connection, "DROP TABLE IF EXISTS docs");
        SqlIndex.Exec(connection, $"DROP TABLE IF EXISTS {FilteredTable}");
        SqlIndex.Exec(connection, "CREATE TABLE docs(id INTEGER PRIMARY KEY, bucket INTEGER NOT NULL, lang TEXT, price REAL, kind TEXT, tenant INTEGER)");
        using (var transaction = connection.BeginTransaction())
        using (var insert = connection.CreateCommand())
        {
            insert.Transaction = transaction;
            insert.CommandText = "INSERT INTO docs(id, bucket, lang, price, kind, tenant) VALUES ($id, $b, $l, $p, $k, $t)";
            var parameters = new[] { "$id", "$b", "$l", "$p", "$k", "$t" }.Select(name => insert.Parameters.Add(name, SqliteType.Integer)).ToArray();
            insert.Prepare();
            for (var i = 0; i < data.BaseCount; i++)
            {
                var row = rows[i];
                parameters[0].Value = i + 1L;
                parameters[1].Value = row.Bucket;
                parameters[2].Value = row.Lang;
                parameters[3].Value = row.Price;
                parameters[4].Value = row.Kind;
                parameters[5].Value = row.Tenant;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        foreach (var column in new[] { "bucket", "lang", "price", "kind", "tenant" })
        {
            SqlIndex.Exec(connection, $"CREATE INDEX docs_{column} ON docs({column})");
        }

        // The filtered index: every row with its vector and filter values, in one transaction (linked at COMMIT).
        var build = System.Diagnostics.Stopwatch.StartNew();
        SqlIndex.Exec(connection, SqlIndex.CreateSql(data, FilteredTable, "bucket INTEGER, lang TEXT, price REAL, kind TEXT, tenant INTEGER PARTITION KEY"));
        SqlIndex.Exec(connection, $"INSERT INTO {FilteredTable}(rowid, vector, bucket, lang, price, kind, tenant) SELECT d.id, i.vector, d.bucket, d.lang, d.price, d.kind, d.tenant FROM docs d JOIN {SqlBench.Table} i ON i.rowid = d.id");
        var buildSeconds = build.Elapsed.TotalSeconds;

        // Filter columns other than the partition key changed on every row: no re-linking.
        var update = System.Diagnostics.Stopwatch.StartNew();
        SqlIndex.Exec(connection, $"UPDATE {FilteredTable} SET lang = 'x' || lang, kind = 'x' || kind");
        var updateSeconds = update.Elapsed.TotalSeconds;
        SqlIndex.Exec(connection, $"UPDATE {FilteredTable} SET lang = substr(lang, 2), kind = substr(kind, 2)");
        Report.Progress($"filtered: built in {buildSeconds:0.0} s, UPDATE of two filter columns of every row {updateSeconds:0.0} s");

        var tenant = rows.First(r => r.Tenant >= 1000).Tenant;
        const int bigTenant = 1;
        var cases = new List<Case>
        {
            new("INTEGER, 0.1% (bucket < 1)", "bucket < 1", r => r.Bucket < 1),
            new("INTEGER, 1% (bucket < 10)", "bucket < 10", r => r.Bucket < 10),
            new("INTEGER, 10% (bucket < 100)", "bucket < 100", r => r.Bucket < 100),
            new("INTEGER, 50% (bucket < 500)", "bucket < 500", r => r.Bucket < 500),
            new("TEXT IN of two values, 10% (lang IN ('l0', 'l1'))", "lang IN ('l0', 'l1')", r => r.Lang is "l0" or "l1"),
            new("range and inequality, 27% (price < 30 AND bucket != 5 AND bucket >= 100)", "price < 30 AND bucket != 5 AND bucket >= 100", r => r.Price < 30 && r.Bucket != 5 && r.Bucket >= 100),
        };
        if (rows.Any(r => r.Kind != "other"))
        {
            cases.Add(new("correlated with the vectors: kind = 'lib' (package name lib*)", "kind = 'lib'", r => r.Kind == "lib"));
            cases.Add(new("correlated with the vectors: kind = 'doc' (package name *-doc)", "kind = 'doc'", r => r.Kind == "doc"));
        }

        cases.Add(new($"a small partition, one of 995 (tenant = {tenant})", $"tenant = {tenant}", r => r.Tenant == tenant));
        cases.Add(new($"a large partition, one of 5 with 10% each (tenant = {bigTenant})", $"tenant = {bigTenant}", r => r.Tenant == bigTenant));

        var unfilteredTruth = GroundTruth.Compute(data, k);
        using var plain = new KnnQuery(connection, FilteredTable, k, withListSize: true);
        plain.ListSize = l;
        plain.Prepare();
        var unfiltered = QueryRun.Measure(data, unfilteredTruth, k, (q, found) => plain.Run(data.QueryBlobs[q], found));
        Report.Progress($"filtered: unfiltered {unfiltered.MeanMs:0.000} ms, recall {unfiltered.Recall:0.0000}");

        var table = new MarkdownTable("predicate", "rows passing", $"recall@{k} vs exact filtered", "mean ms", "p90 ms", "unfiltered beside it, mean ms", "vs unfiltered", $"short answers (of {data.QueryCount:N0})", "rows that do not pass", "`rowid IN` recall", "`rowid IN` mean ms", "`rowid IN` vs unfiltered");
        foreach (var test in cases)
        {
            var allowed = rows.Select(test.Passes).ToArray();
            var candidates = Enumerable.Range(0, data.BaseCount).Where(i => allowed[i]).ToArray();
            var truth = GroundTruth.Compute(data, k, candidates);
            var disallowed = 0;
            using var filtered = new KnnQuery(connection, FilteredTable, k, withListSize: true, extraWhere: test.Where);
            filtered.ListSize = l;
            filtered.Prepare();
            // The unfiltered search beside it, pass for pass, so that the ratio compares measures taken a moment apart
            // (the shared machine's speed moves the absolute figures by up to ~50% over a run, and more between runs).
            var (outcome, beside, ratio) = QueryRun.MeasureBeside(
                data,
                k,
                (truth, (q, found) =>
                {
                    var n = filtered.Run(data.QueryBlobs[q], found);
                    foreach (var index in found[..n])
                    {
                        disallowed += allowed[index] ? 0 : 1;
                    }

                    return n;
                }, allowed),
                (unfilteredTruth, (q, found) => plain.Run(data.QueryBlobs[q], found), null));

            using var subquery = new KnnQuery(connection, FilteredTable, k, withListSize: true, extraWhere: $"rowid IN (SELECT id FROM docs WHERE {test.Where})");
            subquery.ListSize = l;
            subquery.Prepare();
            var inList = QueryRun.Measure(data, truth, k, (q, found) => subquery.Run(data.QueryBlobs[q], found), allowed: allowed);
            table.Add(test.Label, candidates.Length, outcome.Recall, outcome.MeanMs, outcome.P90Ms, beside.MeanMs, Report.X(ratio), outcome.ShortAnswers, disallowed, inList.Recall, inList.MeanMs, Report.X(inList.MeanMs / beside.MeanMs));
            Report.Progress($"filtered {test.Label}: recall {outcome.Recall:0.0000} {outcome.MeanMs:0.000} ms short {outcome.ShortAnswers} disallowed {disallowed}; rowid IN {inList.MeanMs:0.000} ms");
        }

        // Each partition beside an index that holds only that partition's rows.
        var alone = new List<string>();
        foreach (var partition in new[] { tenant, bigTenant })
        {
            var members = Enumerable.Range(0, data.BaseCount).Where(i => rows[i].Tenant == partition).ToArray();
            SqlIndex.Exec(connection, "DROP TABLE IF EXISTS one_partition");
            SqlIndex.Build(connection, data, "one_partition", null, members.Select(i => ((long)i + 1, i)));
            using var only = new KnnQuery(connection, "one_partition", k, withListSize: true);
            only.ListSize = l;
            only.Prepare();
            var memberTruth = GroundTruth.Compute(data, k, members);
            using var confined = new KnnQuery(connection, FilteredTable, k, withListSize: true, extraWhere: $"tenant = {partition}");
            confined.ListSize = l;
            confined.Prepare();
            var (inTable, outcome, ratio) = QueryRun.MeasureBeside(
                data,
                k,
                (memberTruth, (q, found) => confined.Run(data.QueryBlobs[q], found), null),
                (memberTruth, (q, found) => only.Run(data.QueryBlobs[q], found), null));
            alone.Add($"tenant = {partition} ({members.Length:N0} rows): an index of that partition alone, unfiltered, {outcome.MeanMs:0.000} ms, recall {outcome.Recall:0.000}; "
                + $"the query of that partition in the table, measured beside it, {inTable.MeanMs:0.000} ms, recall {inTable.Recall:0.000}: {Report.X(ratio)}");
            Report.Progress($"filtered: alone {alone[^1]}");
        }

        Report.Heading($"Filtered KNN through SQL, filter columns vs `rowid IN` — {data.Name}, k = {k}, search_list_size = {l}");
        Report.Table(table);
        Report.Line($"`{SqlIndex.CreateSql(data, FilteredTable, "bucket INTEGER, lang TEXT, price REAL, kind TEXT, tenant INTEGER PARTITION KEY")}`; each query `SELECT rowid, distance FROM {FilteredTable} WHERE vector MATCH $q AND k = {k} AND search_list_size = {l} AND <predicate>`, prepared, one at a time; *vs unfiltered* is the median, over 5 pairs of passes over the queries alternating with the unfiltered search of the same table (which first alternating too), of the filtered pass's time over the unfiltered one's; the ms columns are each search's median pass. Unfiltered on the same table at the start: {unfiltered.MeanMs:0.000} ms, recall {unfiltered.Recall:0.000}. bucket = murmur3-finalizer(id) % 1000; lang = one of 20 values l0..l19, price = 0..100, tenant = 1 to 5 for half the rows (10% each), else one of 995 small partitions (about 31 rows each; each value from the finalizer with its own seed); kind from the package name in texts.tsv (lib*, *-doc, fonts-*, python3-*, else other). The `rowid IN` columns run the same predicate as `rowid IN (SELECT id FROM docs WHERE <predicate>)` on an ordinary table with an index on each column. Built from the vectors of the unfiltered table with their filter values by one INSERT ... SELECT in {buildSeconds:0.0} s; an UPDATE of two filter columns of all {data.BaseCount:N0} rows took {updateSeconds:0.0} s (no re-linking).");
        Report.Line($"The partitions beside an index holding only their rows: {string.Join("; ", alone)}.");
    }

    private static Row MakeRow(long id, string[]? kinds)
        => new(Bucket(id), "l" + Bucket(id, 20, 0x9E3779B97F4A7C15UL), Bucket(id, 10_000, 0xC2B2AE3D27D4EB4FUL) / 100.0, kinds is null || id > kinds.Length ? "other" : kinds[id - 1],
            Bucket(id, 100, 0x165667B19E3779F9UL) < 50 ? 1 + Bucket(id, 5, 0x27D4EB2F165667C5UL) : 1000 + Bucket(id, 995, 0x85EBCA77C2B2AE63UL));

    private static string[]? _kinds;

    /// <summary>A kind per id from the package names of texts.tsv beside the vectors (null when there is none).</summary>
    private static string[]? Kinds(BenchContext context)
    {
        if (_kinds is not null || context.Options.Synthetic is not null)
        {
            return _kinds; // synthetic data has no texts
        }

        string texts;
        try
        {
            texts = Path.Combine(Path.GetDirectoryName(context.Options.ResolveDataPath()) ?? ".", "texts.tsv");
        }
        catch (Exception)
        {
            return null; // synthetic data: no texts
        }

        if (!File.Exists(texts))
        {
            return null;
        }

        return _kinds = [.. File.ReadLines(texts).Select(line => line.Split('\t')[1]).Select(name =>
            name.StartsWith("lib", StringComparison.Ordinal) ? "lib"
            : name.EndsWith("-doc", StringComparison.Ordinal) ? "doc"
            : name.StartsWith("fonts-", StringComparison.Ordinal) ? "font"
            : name.StartsWith("python3-", StringComparison.Ordinal) ? "python" : "other")];
    }
}
