using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Recall after ordinary SQL histories, each run in one transaction on a fresh build of every base row (rowid =
/// index + 1): a reload (DELETE FROM t, INSERT the same rows), a rewrite of every vector to another real vector and
/// back, a shift of every rowid, a delete of 90% of the rows. For each final state: recall@k at the table's default
/// search_list_size and at a larger one (<c>--history-L</c>, default 200) against a fresh build of the same final rows,
/// with exact ground truth over those rows, and how long the history's statements and its COMMIT took (the graph work
/// of a transaction happens at COMMIT).
/// </summary>
public static class HistoryBench
{
    private const string Table = "hist";
    private const long Shift = 1_000_000;

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var k = context.K;
        var largeL = options.HistoryLargeL;
        var n = data.BaseCount;
        var table = new MarkdownTable("history (one transaction)", "rows after", "statements (s)", "COMMIT (s)", $"recall@{k}, default L", "fresh build, default L", $"recall@{k}, L={largeL}", $"fresh build, L={largeL}");

        // The starting state of every history, which is also the fresh build of the histories that end with the same rows.
        var start = context.NewDatabasePath("history-start");
        var all = SqlIndex.AllRows(data).ToList();
        using (var connection = SqlIndex.Open(start))
        {
            var build = SqlIndex.Build(connection, data, Table, options.IndexOptions, all);
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)"); // the copies below take the main file alone
            Report.Progress($"history: fresh build of {n:N0} rows in {build.TotalSeconds:0.00} s");
        }

        var truthAll = context.Truth;
        var freshAll = Score(context, start, truthAll, null, rowId => (int)(rowId - 1));
        table.Add("none (fresh build)", n, "", "", freshAll.Default, freshAll.Default, freshAll.Large, freshAll.Large);

        // 1. Reload: DELETE FROM t; INSERT every row again.
        {
            var path = Copy(context, start, "history-reload");
            var times = InTransaction(path, connection =>
            {
                SqlIndex.Exec(connection, $"DELETE FROM {Table}");
                SqlIndex.Insert(connection, null, data, Table, all);
            });
            var after = Score(context, path, truthAll, null, rowId => (int)(rowId - 1));
            table.Add("reload: DELETE FROM t, INSERT the same rows", n, times.Statements, times.Commit, after.Default, freshAll.Default, after.Large, freshAll.Large);
            Report.Progress($"history: reload, recall {after.Default:0.0000} (fresh {freshAll.Default:0.0000})");
        }

        // 2. Rewrite every vector to another row's vector (row i gets vector (i + n/2) mod n), then back.
        {
            var permutation = Enumerable.Range(0, n).Select(i => (i + (n / 2)) % n).ToArray();
            var path = Copy(context, start, "history-rewrite");
            var times = InTransaction(path, connection => Update(connection, data, all.Select(r => (r.RowId, permutation[r.Index]))));
            Func<long, int> permuted = rowId => permutation[rowId - 1];
            var after = Score(context, path, truthAll, null, permuted);

            var freshPath = context.NewDatabasePath("history-rewrite-fresh");
            using (var fresh = SqlIndex.Open(freshPath))
            {
                SqlIndex.Build(fresh, data, Table, options.IndexOptions, all.Select(r => (r.RowId, permutation[r.Index])));
            }

            var freshPermuted = Score(context, freshPath, truthAll, null, permuted);
            table.Add("UPDATE every vector to another row's", n, times.Statements, times.Commit, after.Default, freshPermuted.Default, after.Large, freshPermuted.Large);
            Report.Progress($"history: rewrite, recall {after.Default:0.0000} (fresh {freshPermuted.Default:0.0000})");

            times = InTransaction(path, connection => Update(connection, data, all));
            after = Score(context, path, truthAll, null, rowId => (int)(rowId - 1));
            table.Add("... and UPDATE every vector back", n, times.Statements, times.Commit, after.Default, freshAll.Default, after.Large, freshAll.Large);
            Report.Progress($"history: rewrite back, recall {after.Default:0.0000} (fresh {freshAll.Default:0.0000})");
        }

        // 3. Shift every rowid: UPDATE t SET rowid = rowid + 1000000 (the same rows under other rowids).
        {
            var path = Copy(context, start, "history-shift");
            var times = InTransaction(path, connection => SqlIndex.Exec(connection, $"UPDATE {Table} SET rowid = rowid + {Shift}"));
            var after = Score(context, path, truthAll, null, rowId => (int)(rowId - Shift - 1));
            table.Add($"UPDATE t SET rowid = rowid + {Shift:N0}", n, times.Statements, times.Commit, after.Default, freshAll.Default, after.Large, freshAll.Large);
            Report.Progress($"history: rowid shift, recall {after.Default:0.0000} (fresh {freshAll.Default:0.0000})");
        }

        // 4. Delete 90%: DELETE FROM t WHERE rowid % 10 <> 0.
        {
            var kept = all.Where(r => r.RowId % 10 == 0).ToList();
            var keptIndices = kept.Select(r => r.Index).ToArray();
            var allowed = new bool[n];
            foreach (var i in keptIndices)
            {
                allowed[i] = true;
            }

            var truthKept = GroundTruth.Compute(data, k, keptIndices);
            var path = Copy(context, start, "history-delete");
            var times = InTransaction(path, connection => SqlIndex.Exec(connection, $"DELETE FROM {Table} WHERE rowid % 10 <> 0"));
            var after = Score(context, path, truthKept, allowed, rowId => (int)(rowId - 1));

            var freshPath = context.NewDatabasePath("history-delete-fresh");
            using (var fresh = SqlIndex.Open(freshPath))
            {
                SqlIndex.Build(fresh, data, Table, options.IndexOptions, kept);
            }

            var freshKept = Score(context, freshPath, truthKept, allowed, rowId => (int)(rowId - 1));
            table.Add("DELETE 90% (rowid % 10 <> 0)", kept.Count, times.Statements, times.Commit, after.Default, freshKept.Default, after.Large, freshKept.Large);
            Report.Progress($"history: delete 90%, recall {after.Default:0.0000} (fresh {freshKept.Default:0.0000})");
        }

        Report.Heading($"Recall after a history, against a fresh build of the same rows ({data.Name})");
        Report.Table(table);
        Report.Line($"Each history runs in one transaction on a copy of the fresh build of all {n:N0} rows (the rewrite's \"back\" continues from its first step). "
            + "The fresh build of the reload, rewrite-back and rowid-shift states is the starting build: the same vectors under the same (or shifted) rowids, inserted in the same order. "
            + $"Ground truth is exact over the final rows; default L is the table's search_list_size (64 unless --index-options sets it). Target: each history within 0.02 of its fresh build.");
    }

    private readonly record struct Times(double Statements, double Commit);

    private readonly record struct Recalls(double Default, double Large);

    private static string Copy(BenchContext context, string start, string name)
    {
        var path = context.NewDatabasePath(name);
        File.Copy(start, path);
        return path;
    }

    /// <summary>Opens the file, runs the statements in one transaction and commits, timing both.</summary>
    private static Times InTransaction(string path, Action<SqliteConnection> statements)
    {
        using var connection = SqlIndex.Open(path);
        var sw = Stopwatch.StartNew();
        SqlIndex.Exec(connection, "BEGIN");
        statements(connection);
        var statementSeconds = sw.Elapsed.TotalSeconds;
        sw.Restart();
        SqlIndex.Exec(connection, "COMMIT");
        return new Times(statementSeconds, sw.Elapsed.TotalSeconds);
    }

    /// <summary>One prepared <c>UPDATE ... SET vector = $v WHERE rowid = $id</c> per (rowid, base index).</summary>
    private static void Update(SqliteConnection connection, Dataset data, IEnumerable<(long RowId, int Index)> rows)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE {Table} SET vector = $v WHERE rowid = $id";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var blob = new byte[data.Dimension * sizeof(float)];
        command.Parameters.Add("$v", SqliteType.Blob).Value = blob;
        command.Prepare();
        foreach (var (rowId, index) in rows)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.Base(index)).CopyTo(blob);
            id.Value = rowId;
            if (command.ExecuteNonQuery() != 1)
            {
                throw new InvalidOperationException($"UPDATE of rowid {rowId} changed no row");
            }
        }
    }

    /// <summary>Recall at the default search_list_size and at --history-L, on a new connection to the file (as a reopen would).</summary>
    private static Recalls Score(BenchContext context, string path, GroundTruth truth, bool[]? allowed, Func<long, int> map)
    {
        var data = context.Data;
        using var connection = SqlIndex.Open(path);
        double Measure(KnnQuery knn)
        {
            knn.Prepare();
            return QueryRun.Measure(data, truth, context.K, (q, found) => knn.Run(data.QueryBlobs[q], found, map), allowed: allowed).Recall;
        }

        using var byDefault = new KnnQuery(connection, Table, context.K, withListSize: false);
        using var large = new KnnQuery(connection, Table, context.K, withListSize: true) { ListSize = context.Options.HistoryLargeL };
        return new Recalls(Measure(byDefault), Measure(large));
    }
}
