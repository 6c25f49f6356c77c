using DiskAnn;
using Microsoft.Data.Sqlite;

// Usage: FunctionalTests.Worker <database path> <journal mode: delete|wal> <seed>
// Writes the same changes to an ordinary table (truth) and to the diskann table (idx, with filter columns g and a
// partition key tag) in one transaction each, forever; the crash test kills it at a random moment and checks that
// both agree afterwards.
var path = args[0];
var journal = args[1];
var random = new Random(int.Parse(args[2]));
const int Dimension = 16;

using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
connection.Open();
connection.LoadDiskAnn();
Run($"PRAGMA journal_mode={journal}");
Run("CREATE TABLE IF NOT EXISTS truth(id INTEGER PRIMARY KEY, v BLOB NOT NULL, g INTEGER, tag TEXT)");
Run($"CREATE VIRTUAL TABLE IF NOT EXISTS idx USING diskann(dimension={Dimension}, metric=l2, max_degree=16, g INTEGER, tag TEXT PARTITION KEY)");
var nextId = Convert.ToInt64(Scalar("SELECT coalesce(max(id), 0) + 1 FROM truth"));
Console.WriteLine("ready");
Console.Out.Flush();

while (true)
{
    using var transaction = connection.BeginTransaction();
    var count = Convert.ToInt64(Scalar("SELECT count(*) FROM truth"));
    var operations = random.Next(1, 40);
    for (var i = 0; i < operations; i++)
    {
        var choice = random.Next(10);
        // Grow to about 2,000 rows, then churn around that size.
        if (count < 50 || (choice < 6 && count < 2000) || (choice < 4))
        {
            var v = Vector();
            Run("INSERT INTO truth(id, v, g, tag) VALUES ($id, $v, $id % 7, 't' || ($id % 5))", nextId, v);
            Run("INSERT INTO idx(rowid, vector, g, tag) VALUES ($id, $v, $id % 7, 't' || ($id % 5))", nextId, v);
            nextId++;
            count++;
        }
        else if (choice < 6)
        {
            // Filter columns only: the node keeps its edges.
            var id = Convert.ToInt64(Scalar("SELECT id FROM truth ORDER BY random() LIMIT 1"));
            Run("UPDATE truth SET g = g + 1, tag = 't' || ((id + g) % 5) WHERE id = $id", id);
            Run("UPDATE idx SET g = g + 1, tag = 't' || ((rowid + g) % 5) WHERE rowid = $id", id);
        }
        else if (choice < 8)
        {
            var id = Convert.ToInt64(Scalar("SELECT id FROM truth ORDER BY random() LIMIT 1"));
            var v = Vector();
            Run("UPDATE truth SET v = $v WHERE id = $id", id, v);
            Run("UPDATE idx SET vector = $v WHERE rowid = $id", id, v);
        }
        else
        {
            var id = Convert.ToInt64(Scalar("SELECT id FROM truth ORDER BY random() LIMIT 1"));
            Run("DELETE FROM truth WHERE id = $id", id);
            Run("DELETE FROM idx WHERE rowid = $id", id);
            count--;
        }
    }

    if (random.Next(8) == 0)
    {
        transaction.Rollback();
    }
    else
    {
        transaction.Commit();
        Console.WriteLine("committed");
    }
}

byte[] Vector()
{
    var v = new float[Dimension];
    for (var i = 0; i < Dimension; i++)
    {
        v[i] = (float)random.NextDouble();
    }

    return DiskAnnVector.ToBlob(v);
}

void Run(string sql, long? id = null, byte[]? v = null)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    if (id is not null)
    {
        command.Parameters.AddWithValue("$id", id);
    }

    if (v is not null)
    {
        command.Parameters.AddWithValue("$v", v);
    }

    command.ExecuteNonQuery();
}

object? Scalar(string sql)
{
    using var command = connection.CreateCommand();
    command.CommandText = sql;
    return command.ExecuteScalar();
}
