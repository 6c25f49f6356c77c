using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>
/// Shadow tables damaged by hand (outside defensive mode) or by a bad disk: every statement either works or fails
/// with an error that names the table and what is wrong, never with a bare runtime message, and never kills the process.
/// </summary>
public sealed class CorruptFileTests : DatabaseTest
{
    private const int Dimension = 4;
    private const int MaxDegree = 4;

    /// <summary>12 header bytes + 4 bytes per edge of a list of room R + (R + 1) / 2 (Storage/FORMAT.md).</summary>
    private const int RecordBytes = 12 + (4 * (MaxDegree + ((MaxDegree + 1) / 2)));

    private SqliteConnection CreateIndex()
    {
        var c = Db.Open();
        c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric=l2, max_degree={MaxDegree})");
        c.InsertAll("t", Enumerable.Range(1, 40).Select(i => new float[] { i, i % 3, 0, 0 }).ToList());
        return c;
    }

    private static string ErrorOf(SqliteConnection c, string sql)
        => Assert.Throws<SqliteException>(() => c.Execute(sql)).Message;

    [Fact]
    public void An_edge_outside_the_index_is_named_by_integrity_check_and_by_queries()
    {
        using (var c = CreateIndex())
        {
            var blob = (byte[])c.Scalar("SELECT data FROM t_graph WHERE id = 0")!;
            BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(12), 999_999); // slot 0, first edge
            c.Execute("UPDATE t_graph SET data = $d WHERE id = 0", ("$d", blob));
        }

        using var reopened = Db.Open();
        var check = ErrorOf(reopened, "INSERT INTO t(t) VALUES ('integrity-check')");
        Assert.Contains("slot 0", check);
        Assert.Contains("edge to slot 999999", check);
        var query = ErrorOf(reopened, "SELECT count(*) FROM t WHERE vector MATCH vector_from_json('[1,0,0,0]') AND k = 3");
        Assert.Contains("\"t\" is corrupt", query);
        Assert.Contains("edge to slot 999999", query);
    }

    [Fact]
    public void Missing_vectors_are_named_as_such()
    {
        using (var c = CreateIndex())
        {
            c.Execute("DELETE FROM t_vectors");
        }

        using var reopened = Db.Open();
        var check = ErrorOf(reopened, "INSERT INTO t(t) VALUES ('integrity-check')");
        Assert.Contains("has no vector chunk", check);
    }

    [Fact]
    public void A_row_stored_twice_is_named_as_such()
    {
        using (var c = CreateIndex())
        {
            var blob = (byte[])c.Scalar("SELECT data FROM t_graph WHERE id = 0")!;
            BinaryPrimitives.WriteInt64LittleEndian(blob.AsSpan(RecordBytes), BinaryPrimitives.ReadInt64LittleEndian(blob)); // slot 1 claims slot 0's rowid
            c.Execute("UPDATE t_graph SET data = $d WHERE id = 0", ("$d", blob));
        }

        using var reopened = Db.Open();
        var check = ErrorOf(reopened, "INSERT INTO t(t) VALUES ('integrity-check')");
        Assert.Contains("rowid 1", check);
        Assert.DoesNotContain("internal error", check);
    }

    [Fact]
    public void A_vector_beyond_the_limits_in_the_file_is_named_by_integrity_check()
    {
        using (var c = CreateIndex())
        {
            // What an earlier version accepted: a component whose square overflows float32.
            var blob = (byte[])c.Scalar("SELECT data FROM t_vectors WHERE id = 0")!;
            BinaryPrimitives.WriteSingleLittleEndian(blob.AsSpan(4 * Dimension), 3e20f); // slot 1, first component
            c.Execute("UPDATE t_vectors SET data = $d WHERE id = 0", ("$d", blob));
        }

        using var reopened = Db.Open();
        var check = ErrorOf(reopened, "INSERT INTO t(t) VALUES ('integrity-check')");
        Assert.Contains("the vector of rowid 2 (slot 1) has the value 3E+20 at index 0", check);
    }

    [Fact]
    public void Flipped_bytes_in_the_shadow_tables_give_errors_that_name_the_table_never_a_crash()
    {
        var random = new Random(71);
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_CORRUPT_ROUNDS"), out var r) ? r : 40;
        for (var round = 0; round < rounds; round++)
        {
            using (var c = Db.Open())
            {
                c.Execute("DROP TABLE IF EXISTS t");
                c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={Dimension}, metric=l2, max_degree={MaxDegree})");
                c.InsertAll("t", Enumerable.Range(1, 40).Select(i => new float[] { i, i % 3, round, 0 }).ToList());
                var table = random.Next(2) == 0 ? "t_graph" : "t_vectors";
                var blob = (byte[])c.Scalar($"SELECT data FROM {table} WHERE id = 0")!;
                for (var flips = random.Next(1, 8); flips > 0; flips--)
                {
                    blob[random.Next(blob.Length)] ^= (byte)(1 << random.Next(8));
                }

                c.Execute($"UPDATE {table} SET data = $d WHERE id = 0", ("$d", blob));
            }

            using var reopened = Db.Open();
            foreach (var sql in new[]
            {
                "INSERT INTO t(t) VALUES ('integrity-check')",
                "SELECT count(*) FROM (SELECT rowid, distance FROM t WHERE vector MATCH vector_from_json('[3,1,0,0]') AND k = 40 AND search_list_size = 200)",
                "SELECT count(*) FROM t",
                "INSERT INTO t(rowid, vector) VALUES (1000, vector_from_json('[5,5,5,5]'))",
                "DELETE FROM t WHERE rowid = 7",
            })
            {
                try
                {
                    reopened.Execute(sql);
                }
                catch (SqliteException e)
                {
                    Assert.True(e.Message.Contains("diskann", StringComparison.Ordinal) && !e.Message.Contains("internal error", StringComparison.Ordinal),
                        $"round {round}, {sql}: {e.Message}");
                }
            }
        }
    }
}
