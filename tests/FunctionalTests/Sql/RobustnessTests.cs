using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

public sealed class RobustnessTests : DatabaseTest
{
    private const int SqliteDbConfigDefensive = 1010;

    [Fact]
    public void Shadow_tables_cannot_be_written_by_ordinary_sql_in_defensive_mode()
    {
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=4)");
        c.InsertAll("idx", SqlHelpers.Clustered(20, 4, seed: 60));
        Assert.Equal(0, SQLitePCL.raw.sqlite3_db_config(c.Handle, SqliteDbConfigDefensive, 1, out _));

        foreach (var sql in new[]
        {
            "UPDATE idx_graph SET data = zeroblob(10)",
            "DELETE FROM idx_vectors",
            "INSERT INTO idx_config(key, value) VALUES ('entry', 5)",
            "DROP TABLE idx_graph",
        })
        {
            var e = Assert.Throws<SqliteException>(() => c.Execute(sql));
            Assert.Contains("may not be", e.Message);
        }

        // The module itself still writes them.
        c.Execute("INSERT INTO idx(rowid, vector) VALUES (100, $v)", ("$v", DiskAnnVector.ToBlob([1, 2, 3, 4])));
        c.Execute("DELETE FROM idx WHERE rowid = 1");
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
        Assert.Equal(20L, c.Count("idx"));
    }

    /// <summary>
    /// Throws random blobs, options, k values, constraint combinations and SQL at the module for a bounded
    /// time: every failure must be a SqliteException (an escaping exception would end the process), and the
    /// index must pass its integrity check and still agree with an ordinary table afterwards.
    /// DISKANN_FUZZ_SECONDS sets the time (default 3).
    /// </summary>
    [Fact]
    public void Random_input_never_crashes_or_corrupts()
    {
        var seconds = double.TryParse(Environment.GetEnvironmentVariable("DISKANN_FUZZ_SECONDS"), out var s) ? s : 3;
        var random = new Random(61);
        using var c = Db.Open();
        c.Execute("CREATE VIRTUAL TABLE idx USING diskann(dimension=8, metric=l2, max_degree=8)");
        c.Execute("CREATE TABLE truth(id INTEGER PRIMARY KEY, v BLOB)");
        string[] options = ["dimension=8", "dimension=0", "dimension=x", "metric=l2", "metric=foo", "max_degree=1", "max_degree=300", "alpha=9", "alpha=nan", "k=3", "=", "dimension", "search_list_size=-1", "''", "dimension=8, dimension=8"];
        string[] where = ["vector MATCH $q", "k = $k", "search_list_size = $k", "rowid = $k", "rowid IN (1, 2, $k)", "rowid > $k", "rowid IN (SELECT id FROM truth)", "distance < 1", "vector IS NULL", "k IS NULL", "vector MATCH $q OR rowid = 3", "k = $k AND k = 5"];
        object?[] ks = [0, 1, 5, -1, 10001, 1e9, "x", null, 3.5, long.MaxValue, new byte[] { 1 }];
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        var operations = 0;
        while (stopwatch.Elapsed.TotalSeconds < seconds)
        {
            operations++;
            try
            {
                switch (random.Next(6))
                {
                    case 0:
                        c.Execute($"CREATE VIRTUAL TABLE IF NOT EXISTS f{random.Next(3)} USING diskann({string.Join(", ", Enumerable.Range(0, random.Next(4)).Select(_ => options[random.Next(options.Length)]))})");
                        break;
                    case 1:
                    case 2:
                        {
                            var id = random.Next(1, 300);
                            var v = RandomBlob(random);
                            using var t = c.BeginTransaction();
                            c.Execute("INSERT OR REPLACE INTO idx(rowid, vector) VALUES ($id, $v)", ("$id", id), ("$v", v));
                            c.Execute("INSERT OR REPLACE INTO truth(id, v) VALUES ($id, $v)", ("$id", id), ("$v", v));
                            t.Commit();
                            break;
                        }

                    case 3:
                        {
                            var id = random.Next(1, 300);
                            using var t = c.BeginTransaction();
                            c.Execute("DELETE FROM idx WHERE rowid = $id", ("$id", id));
                            c.Execute("DELETE FROM truth WHERE id = $id", ("$id", id));
                            t.Commit();
                            break;
                        }

                    default:
                        {
                            var clauses = Enumerable.Range(0, random.Next(1, 4)).Select(_ => where[random.Next(where.Length)]);
                            var tail = random.Next(3) switch { 0 => " ORDER BY distance LIMIT $k", 1 => " LIMIT 3 OFFSET $k", _ => "" };
                            c.Scalar($"SELECT count(*) FROM (SELECT rowid, distance, vector, k FROM idx WHERE {string.Join(" AND ", clauses)}{tail})",
                                ("$q", RandomBlob(random)), ("$k", ks[random.Next(ks.Length)]));
                            break;
                        }
                }
            }
            catch (SqliteException)
            {
                // expected for bad input: what matters is that it is an error, not a crash
            }
        }

        Assert.True(operations > 100, $"only {operations} operations ran");
        c.Execute("INSERT INTO idx(idx) VALUES ('integrity-check')");
        Assert.Equal(c.Count("truth"), c.Count("idx"));
        Assert.Equal(0L, c.Scalar("SELECT count(*) FROM truth t WHERE t.v IS NOT (SELECT vector FROM idx WHERE rowid = t.id)"));
    }

    private static object? RandomBlob(Random random)
    {
        switch (random.Next(8))
        {
            case 0:
                return null;
            case 1:
                return "[1,2,3]";
            case 2:
                {
                    var bytes = new byte[random.Next(0, 40)];
                    random.NextBytes(bytes);
                    return bytes;
                }

            default:
                {
                    var v = new float[8];
                    for (var i = 0; i < v.Length; i++)
                    {
                        v[i] = random.Next(20) == 0 ? float.NaN : (float)random.NextDouble();
                    }

                    return DiskAnnVector.ToBlob(v);
                }
        }
    }
}
