using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// What another connection's commit costs a reader's next query: nothing to do (a commit to another table), a
/// refresh of the chunks the commit wrote (one row inserted into the index), or a whole reload (the reader is
/// more commits behind than the change log keeps).
/// </summary>
public static class RefreshBench
{
    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var rounds = 20;

        using var writer = SqlIndex.Open(built.DbPath);
        SqlIndex.Exec(writer, "PRAGMA synchronous=NORMAL");
        SqlIndex.Exec(writer, "CREATE TABLE IF NOT EXISTS notes(id INTEGER PRIMARY KEY, body TEXT)");
        using var reader = SqlIndex.Open(built.DbPath);
        using var query = new KnnQuery(reader, SqlBench.Table, context.K, withListSize: false);
        query.Prepare();
        var found = new int[context.K];
        var q = 0;
        double Query()
        {
            var sw = Stopwatch.StartNew();
            query.Run(data.QueryBlobs[q++ % data.QueryCount], found);
            return sw.Elapsed.TotalMilliseconds;
        }

        var open = Query();
        for (var i = 0; i < 50; i++)
        {
            Query();
        }

        var nextRowId = (long)data.BaseCount + 2_000_001;
        var blob = new byte[data.Dimension * sizeof(float)];
        void InsertOne()
        {
            data.Query(q % data.QueryCount).CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(blob.AsSpan()));
            using var insert = writer.CreateCommand();
            insert.CommandText = $"INSERT INTO {SqlBench.Table}(rowid, vector) VALUES ($id, $v)";
            insert.Parameters.AddWithValue("$id", nextRowId++);
            insert.Parameters.Add("$v", SqliteType.Blob).Value = blob;
            insert.ExecuteNonQuery();
        }

        var warm = Enumerable.Range(0, rounds * 5).Select(_ => Query()).ToList();
        var unrelated = new List<double>();
        var oneRow = new List<double>();
        var behind = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            SqlIndex.Exec(writer, "INSERT INTO notes(body) VALUES ('another table')");
            unrelated.Add(Query());
            InsertOne();
            oneRow.Add(Query());
        }

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 70; i++)
            {
                InsertOne(); // more commits than the change log keeps (64)
            }

            behind.Add(Query());
        }

        Report.Heading($"Another connection's commit, then the reader's next query ({data.BaseCount:N0}-row index, file db, WAL, default search_list_size)");
        var table = new MarkdownTable("before the reader's query", "samples", "median ms", "max ms", "what the reader does");
        table.Add("nothing (warm reader)", warm.Count, Median(warm), warm.Max(), "searches");
        table.Add("a commit to another table", unrelated.Count, Median(unrelated), unrelated.Max(), "sees the index's generation unchanged, searches");
        table.Add("a one-row INSERT into the index (its own commit)", oneRow.Count, Median(oneRow), oneRow.Max(), "reads back the chunks the commit wrote, searches");
        table.Add("70 such commits (more than the 64 logged)", behind.Count, Median(behind), behind.Max(), "reloads the whole index, searches");
        table.Add("(a connection's first query)", 1, open, open, "loads the whole index, searches");
        Report.Table(table);
        Report.Progress($"refresh: unrelated {Median(unrelated):0.00} ms, one row {Median(oneRow):0.00} ms, reload {Median(behind):0.0} ms");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
