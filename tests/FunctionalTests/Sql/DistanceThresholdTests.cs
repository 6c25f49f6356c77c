using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// <c>distance &lt; ?</c> and <c>distance &lt;= ?</c> in a KNN query are answered by the module: the rows among the k
/// nearest whose distance passes, exactly what SQLite keeps when it applies the condition to the k nearest itself,
/// checked against an ordinary table holding the same rows and the distances the SQL distance functions compute.
/// </summary>
public sealed class DistanceThresholdTests : DatabaseTest
{
    private const int Rows = 120;

    [Theory]
    [InlineData("l2", "<")]
    [InlineData("l2", "<=")]
    [InlineData("cosine", "<")]
    [InlineData("cosine", "<=")]
    [InlineData("l2 , quantization=int8", "<")]
    public void A_threshold_keeps_the_rows_of_the_k_nearest_that_pass_as_SQLite_compares_them(string metric, string op)
    {
        using var c = Db.Open();
        var vectors = Fill(c, metric);
        var function = metric.StartsWith("cosine", StringComparison.Ordinal) ? "vector_distance_cosine" : "vector_distance_l2";
        c.Execute("CREATE TABLE nearest(id INTEGER PRIMARY KEY, distance REAL)");
        var random = new Random(5);
        var conditions = new[] { "", "AND lang = 'a'", "AND rowid IN (3, 5, 8, 13, 21, 34, 55, 89, 100, 101, 102)", "AND rowid > 40", "AND lang = 'b' AND rowid <= 90" };
        var checkedRows = 0;
        for (var q = 0; q < 12; q++)
        {
            var query = q % 2 == 0 ? vectors[random.Next(1, Rows + 1)] : new[] { (float)random.NextDouble() * 2 - 1, (float)random.NextDouble() * 2 - 1 };
            var blob = DiskAnnVector.ToBlob(query);
            foreach (var condition in conditions)
            {
                foreach (var k in new[] { 1, 5, 20 })
                {
                    // The k nearest passing the condition, with their distances in a REAL column: SQLite's own comparisons decide.
                    // (An int8 table reports distances to its codes: those of its own KNN query, without the threshold.)
                    c.Execute("DELETE FROM nearest");
                    c.Execute(
                        metric.Contains("int8", StringComparison.Ordinal)
                            ? $"INSERT INTO nearest SELECT rowid, distance FROM t WHERE vector MATCH $q AND k = {k} AND search_list_size = 200 {condition}"
                            : $"INSERT INTO nearest SELECT rowid, {function}(vector, $q) AS d FROM p WHERE 1 {condition} ORDER BY d LIMIT {k}",
                        ("$q", blob));
                    var distances = c.TextRows("SELECT distance FROM nearest ORDER BY distance").ConvertAll(s => double.Parse(s, System.Globalization.CultureInfo.InvariantCulture));
                    var thresholds = new List<object?> { -1.0, 0, 1e9, 3, null, "abc", "0.5", " 0.25 ", new byte[] { 0 } };
                    foreach (var d in distances.Take(6))
                    {
                        thresholds.Add(d);          // on a row's distance: < and <= differ
                        thresholds.Add(d * 1.001);
                    }

                    foreach (var threshold in thresholds)
                    {
                        var expected = Ids(c, $"SELECT id FROM nearest WHERE distance {op} $t", blob, threshold);
                        var answer = Ids(c, $"SELECT rowid FROM t WHERE vector MATCH $q AND k = {k} AND search_list_size = 200 AND distance {op} $t {condition}", blob, threshold);
                        Assert.Equal(expected.Order(), answer.Order());
                        checkedRows += answer.Count;
                    }
                }
            }
        }

        Assert.True(checkedRows > 1000, $"only {checkedRows} rows compared");
    }

    [Fact]
    public void The_threshold_is_capped_at_k_and_comes_back_nearest_first_with_order_by_and_limit()
    {
        using var c = Db.Open();
        var vectors = Fill(c, "l2");
        var query = vectors[7];
        var all = c.Knn("t", query, Rows, "AND search_list_size = 200");
        var tenth = all[9].Distance;
        var within = all.Count(r => r.Distance < tenth);
        Assert.Equal(9, within);

        // k caps the rows: 9 pass within the 20 nearest, 5 are asked for.
        Assert.Equal(all.Take(5).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 5 AND distance < " + Invariant(tenth), query));
        Assert.Equal(all.Take(9).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 AND search_list_size = 200 AND distance < " + Invariant(tenth) + " ORDER BY distance", query));
        Assert.Equal(all.Take(10).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 AND search_list_size = 200 AND distance <= " + Invariant(tenth), query));

        // ORDER BY distance LIMIT n acts as k, the threshold applied to those n.
        Assert.Equal(all.Take(4).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND distance < " + Invariant(tenth) + " ORDER BY distance LIMIT 4", query));
        Assert.Equal(all.Skip(2).Take(7).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND distance < " + Invariant(tenth) + " ORDER BY distance LIMIT 20 OFFSET 2", query));

        // distance > and >= stay with SQLite, which applies them to the rows found, with or beside an upper bound.
        Assert.Equal(all.Skip(9).Take(11).Select(r => r.RowId), c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 AND search_list_size = 200 AND distance >= " + Invariant(tenth), query));
        Assert.Equal(all.Skip(2).Take(7).Select(r => r.RowId), c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 AND search_list_size = 200 AND distance > {Invariant(all[1].Distance)} AND distance < {Invariant(tenth)}", query));
        Assert.Equal(all.Take(3).Select(r => r.RowId), c.RowIds($"SELECT rowid FROM t WHERE vector MATCH $q AND k = 20 AND search_list_size = 200 AND distance < {Invariant(tenth)} AND distance <= {Invariant(all[2].Distance)}", query));
    }

    [Fact]
    public void A_threshold_from_another_table_is_applied_per_row_of_it()
    {
        using var c = Db.Open();
        var vectors = Fill(c, "l2");
        c.Execute("CREATE TABLE probes(id INTEGER PRIMARY KEY, v BLOB, radius REAL)");
        c.Execute("INSERT INTO probes VALUES (1, $a, 0.2), (2, $b, 0.05), (3, $b, NULL)", ("$a", DiskAnnVector.ToBlob(vectors[1])), ("$b", DiskAnnVector.ToBlob(vectors[2])));
        var rows = c.TextRows("SELECT probes.id, t.rowid FROM probes JOIN t ON t.vector MATCH probes.v AND t.k = 10 AND t.distance < probes.radius ORDER BY probes.id, t.distance");
        var expected = new List<string>();
        foreach (var (probe, vector, radius) in new[] { (1, vectors[1], 0.2), (2, vectors[2], 0.05) })
        {
            expected.AddRange(c.Knn("t", vector, 10, "AND search_list_size = 200").Where(r => r.Distance < radius).Select(r => $"{probe}|{r.RowId}"));
        }

        Assert.Equal(expected, rows);
        Assert.Contains(rows, r => r.StartsWith("1|", StringComparison.Ordinal));
    }

    [Fact]
    public void A_threshold_without_k_says_that_k_caps_it()
    {
        using var c = Db.Open();
        Fill(c, "l2");
        var e = Assert.Throws<SqliteException>(() => c.RowIds("SELECT rowid FROM t WHERE vector MATCH $q AND distance < 0.5 ORDER BY distance DESC LIMIT 3", [0f, 0f]));
        Assert.Contains("also with a distance threshold: the threshold is applied to the k nearest rows; add 'AND k = 100'", e.Message);
    }

    private static float[][] Fill(SqliteConnection c, string metric)
    {
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension=2, metric={metric}, lang TEXT)");
        c.Execute("CREATE TABLE p(rowid INTEGER PRIMARY KEY, vector BLOB, lang TEXT)");
        var random = new Random(3);
        var vectors = new float[Rows][];
        using var transaction = c.BeginTransaction();
        for (var i = 0; i < Rows; i++)
        {
            vectors[i] = [(float)random.NextDouble() * 2 - 1, (float)random.NextDouble() * 2 - 1];
            var parameters = new[] { ("$id", (object?)(i + 1)), ("$v", DiskAnnVector.ToBlob(vectors[i])), ("$l", i % 3 == 0 ? "a" : "b") };
            c.Execute("INSERT INTO t(rowid, vector, lang) VALUES ($id, $v, $l)", parameters);
            c.Execute("INSERT INTO p(rowid, vector, lang) VALUES ($id, $v, $l)", parameters);
        }

        transaction.Commit();
        return [null!, .. vectors];
    }

    private static List<long> Ids(SqliteConnection c, string sql, byte[] query, object? threshold)
    {
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$q", query);
        command.Parameters.AddWithValue("$t", threshold ?? DBNull.Value);
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static string Invariant(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
