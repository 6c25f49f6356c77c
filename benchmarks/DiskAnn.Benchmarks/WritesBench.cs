using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>Issue 4: single-row INSERT / DELETE / UPDATE latency into the built index, autocommit, WAL.</summary>
public static class WritesBench
{
    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var ops = context.Options.Ops;
        var random = new Random(7);

        // Distinct existing rows: the first half of a permutation is deleted, the second half updated.
        var rows = Enumerable.Range(1, data.BaseCount).ToArray();
        random.Shuffle(rows);
        var nextRowId = (long)data.BaseCount + 1_000_001;
        var cursor = 0;

        var table = new MarkdownTable("operation (autocommit, WAL)", "synchronous", "ops", "median ms", "p90 ms", "mean ms", "max ms", "target (median)");
        foreach (var synchronous in new[] { "FULL", "NORMAL" })
        {
            using var connection = SqlIndex.Open(built.DbPath);
            SqlIndex.Exec(connection, $"PRAGMA synchronous={synchronous}");
            var blob = new byte[data.Dimension * sizeof(float)];

            using var insert = Prepare(connection, $"INSERT INTO {SqlBench.Table}(rowid, vector) VALUES ($id, $v)", blob);
            using var delete = Prepare(connection, $"DELETE FROM {SqlBench.Table} WHERE rowid = $id", null);
            using var update = Prepare(connection, $"UPDATE {SqlBench.Table} SET vector = $v WHERE rowid = $id", blob);

            var inserted = Time(ops, i =>
            {
                data.Query(i % data.QueryCount).CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blob.AsSpan()));
                insert.Parameters["$id"].Value = nextRowId++;
                return insert;
            });
            var deleted = Time(ops, _ =>
            {
                delete.Parameters["$id"].Value = (long)rows[cursor++];
                return delete;
            });
            var updated = Time(ops, _ =>
            {
                data.Base(random.Next(data.BaseCount)).CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blob.AsSpan()));
                update.Parameters["$id"].Value = (long)rows[^(++cursor)];
                return update;
            });

            table.Add("INSERT one row", synchronous, ops, inserted.Median, inserted.P90, inserted.Mean, inserted.Max, "<= 1 ms");
            table.Add("DELETE one row", synchronous, ops, deleted.Median, deleted.P90, deleted.Mean, deleted.Max, "<= 2 ms");
            table.Add("UPDATE one vector", synchronous, ops, updated.Median, updated.P90, updated.Mean, updated.Max, "<= 2 ms");
            Report.Progress($"writes ({synchronous}): insert {inserted.Median:0.000} ms, delete {deleted.Median:0.000} ms, update {updated.Median:0.000} ms (medians)");
        }

        Report.Heading($"Single-row writes into the {data.BaseCount:N0}-row index (file db, WAL, autocommit, prepared statements)");
        Report.Table(table);
        Report.Line("FULL is SQLite's default (an fsync of the WAL per commit); NORMAL syncs only at checkpoints, the usual WAL setting.");
    }

    private readonly record struct Stats(double Median, double P90, double Mean, double Max);

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, byte[]? blob)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add("$id", SqliteType.Integer).Value = 0L;
        if (blob is not null)
        {
            command.Parameters.Add("$v", SqliteType.Blob).Value = blob;
        }

        command.Prepare();
        return command;
    }

    private static Stats Time(int ops, Func<int, SqliteCommand> next)
    {
        var latencies = new double[ops];
        for (var i = 0; i < ops; i++)
        {
            var command = next(i);
            var start = Stopwatch.GetTimestamp();
            var changed = command.ExecuteNonQuery();
            latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (changed != 1)
            {
                throw new InvalidOperationException($"'{command.CommandText}' changed {changed} rows, expected 1.");
            }
        }

        var mean = latencies.Average();
        Array.Sort(latencies);
        return new Stats(latencies[ops / 2], latencies[(int)(0.9 * (ops - 1))], mean, latencies[^1]);
    }
}
