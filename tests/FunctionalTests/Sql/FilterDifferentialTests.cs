using System.Globalization;
using DiskAnn;
using Microsoft.Data.Sqlite;
using Xunit.Sdk;

namespace FunctionalTests.Sql;

/// <summary>
/// Random histories of SQL on a diskann table with filter columns (<c>g INTEGER, tag TEXT, w REAL, part INTEGER
/// PARTITION KEY</c>), mirrored into a plain table in the same transactions: inserts, INSERT OR REPLACE, updates of
/// filter columns only, of vectors, of rowids, deletes by filter conditions, bulk loads, savepoints and rollbacks, a
/// second connection, 'optimize', a copy of the file loaded afresh. After every step the scan (rowids, values and
/// their types, vectors) equals the model's; filtered KNN queries with random conditions return exactly the rows the
/// model's brute force does when k covers them, and otherwise k passing rows (or all that pass) with their exact
/// distances, nearest first. DISKANN_DIFF_ROUNDS and DISKANN_DIFF_STEPS lengthen it, DISKANN_DIFF_SEED replays one seed.
/// </summary>
public sealed class FilterDifferentialTests
{
    [Theory]
    [InlineData(4, 4, false)]
    [InlineData(6, 6, true)]
    public void Random_histories_with_filter_columns_keep_the_index_equal_to_a_plain_table(int dimension, int maxDegree, bool wal)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_ROUNDS"), out var r) ? r : 3;
        var steps = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_STEPS"), out var s) ? s : 80;
        var seeds = int.TryParse(Environment.GetEnvironmentVariable("DISKANN_DIFF_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var one)
            ? [one]
            : Enumerable.Range(0, rounds).Select(i => (dimension * 7919) + i);
        foreach (var seed in seeds)
        {
            using var db = new TestDatabase();
            new History(db, dimension, maxDegree, wal, seed).Run(steps);
        }
    }

    private sealed class History(TestDatabase db, int dimension, int maxDegree, bool wal, int seed)
    {
        private const string Shape = "rowid, g, typeof(g), tag, typeof(tag), w, typeof(w), part, typeof(part), hex({v})";
        private static readonly string?[] Tags = [null, "a", "b", "c", "A", "10", "b "];
        private static readonly object?[] Weights = [null, -1.5, 0, 2.25, 7, "3"];

        private readonly Random _random = new(seed);
        private readonly List<string> _log = [];
        private SqliteConnection _c = null!;
        private SqliteConnection? _other;
        private int _depth;

        public void Run(int steps)
        {
            _c = db.Open(wal);
            _c.Execute($"CREATE VIRTUAL TABLE t USING diskann(dimension={dimension}, metric=l2, max_degree={maxDegree}, g INTEGER, tag TEXT, w REAL, part INTEGER PARTITION KEY)");
            _c.Execute("CREATE TABLE model(id INTEGER PRIMARY KEY, v BLOB, g INTEGER, tag TEXT, w REAL, part INTEGER)");
            for (var step = 0; step < steps; step++)
            {
                try
                {
                    Step();
                    Check();
                }
                catch (Exception e) when (e is XunitException or SqliteException)
                {
                    throw new XunitException($"seed {seed}, step {step}: {e.Message}\nlast steps:\n  {string.Join("\n  ", _log.TakeLast(25))}");
                }
            }
        }

        private void Step()
        {
            var choice = _random.Next(100);
            switch (choice)
            {
                case < 25: Insert(_random.Next(1, 4)); break;
                case < 33: InsertOrReplace(); break;
                case < 45: Both($"UPDATE {{T}} SET g = {Value()}, tag = {Text()} WHERE {Condition()}"); break;
                case < 50: Both($"UPDATE {{T}} SET part = {Part()}, w = {Weight()} WHERE {Condition()}"); break;
                case < 56: Both($"UPDATE {{T}} SET {{v}} = $v, tag = {Text()} WHERE rowid IN ({SomeIds(2)})", ("$v", Blob())); break;
                case < 60: Both($"UPDATE {{T}} SET rowid = rowid + 1000 WHERE rowid IN ({SomeIds(3, movable: true)})"); break;
                case < 70: Both($"DELETE FROM {{T}} WHERE {Condition()}"); break;
                case < 74: BulkLoad(); break;
                case < 80 when _depth < 3: Transaction("SAVEPOINT s" + _depth, +1); break;
                case < 84 when _depth > 0: Transaction(_random.Next(2) == 0 ? $"ROLLBACK TO s{_depth - 1}" : $"RELEASE s{_depth - 1}", -1); break;
                case < 88 when _depth > 0: Transaction("ROLLBACK", -_depth); break;
                case < 92 when _depth == 0: OtherConnection(); break;
                case < 95 when _depth == 0: Log("optimize"); _c.Execute("INSERT INTO t(t) VALUES ('optimize')"); break;
                case < 98 when _depth == 0: LoadedCopy(); break;
                default: Insert(1); break;
            }
        }

        private void Transaction(string sql, int depth)
        {
            // ROLLBACK TO keeps the savepoint (depth + 0); RELEASE and ROLLBACK end it.
            Log(sql);
            _c.Execute(sql);
            _depth = sql.StartsWith("ROLLBACK TO", StringComparison.Ordinal) ? _depth : Math.Max(0, _depth + depth);
            if (sql == "ROLLBACK")
            {
                _depth = 0;
            }
        }

        private void Insert(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var id = _random.Next(1, 400);
                Both($"INSERT OR IGNORE INTO {{T}}(rowid, {{v}}, g, tag, w, part) VALUES ({id}, $v, {Value()}, {Text()}, {Weight()}, {Part()})", ("$v", Blob()));
            }
        }

        private void InsertOrReplace() => Both($"INSERT OR REPLACE INTO {{T}}(rowid, {{v}}, g, tag, w, part) VALUES ({_random.Next(1, 400)}, $v, {Value()}, {Text()}, {Weight()}, {Part()})", ("$v", Blob()));

        private void BulkLoad()
        {
            var wrap = _depth == 0;
            if (wrap)
            {
                _c.Execute("BEGIN");
            }

            for (var i = 0; i < 25; i++)
            {
                Both($"INSERT OR IGNORE INTO {{T}}(rowid, {{v}}, g, tag, w, part) VALUES ({_random.Next(400, 900)}, $v, {Value()}, {Text()}, {Weight()}, {Part()})", ("$v", Blob()));
            }

            if (wrap)
            {
                _c.Execute("COMMIT");
            }
        }

        private void OtherConnection()
        {
            _other ??= db.Open(wal);
            Check(_other);
            var id = _random.Next(1, 400);
            Log($"other connection: insert {id}, update tags");
            Both(_other, $"INSERT OR IGNORE INTO {{T}}(rowid, {{v}}, g, tag, w, part) VALUES ({id}, $v, {Value()}, {Text()}, {Weight()}, {Part()})", ("$v", Blob()));
            Both(_other, $"UPDATE {{T}} SET tag = {Text()} WHERE {Condition()}");
        }

        private void LoadedCopy()
        {
            var copy = Path.Combine(db.Folder, $"copy{_random.Next()}.db");
            Log("copy of the file, loaded afresh");
            _c.Execute($"VACUUM INTO '{copy}'");
            using var loaded = new SqliteConnection($"Data Source={copy};Pooling=False");
            loaded.Open();
            loaded.LoadDiskAnn();
            Check(loaded);
            loaded.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
        }

        private void Both(string sql, params (string, object?)[] parameters) => Both(_c, sql, parameters);

        private void Both(SqliteConnection connection, string sql, params (string, object?)[] parameters)
        {
            Log(sql.Replace("{T}", "t", StringComparison.Ordinal).Replace("{v}", "vector", StringComparison.Ordinal));
            SqliteException? modelError = null, indexError = null;
            int modelRows = 0, indexRows = 0;
            try
            {
                modelRows = connection.Execute(sql.Replace("{T}", "model", StringComparison.Ordinal).Replace("{v}", "v", StringComparison.Ordinal), parameters);
            }
            catch (SqliteException e)
            {
                modelError = e;
            }

            try
            {
                indexRows = connection.Execute(sql.Replace("{T}", "t", StringComparison.Ordinal).Replace("{v}", "vector", StringComparison.Ordinal), parameters);
            }
            catch (SqliteException e)
            {
                indexError = e;
            }

            if ((modelError is null) != (indexError is null) || modelRows != indexRows)
            {
                throw new XunitException($"the statement did {modelRows} rows / {modelError?.Message ?? "no error"} on the model and {indexRows} rows / {indexError?.Message ?? "no error"} on the index");
            }
        }

        private void Check() => Check(_c);

        private void Check(SqliteConnection connection)
        {
            var expected = connection.TextRows($"SELECT {Shape.Replace("{v}", "v", StringComparison.Ordinal)} FROM model ORDER BY rowid");
            var actual = connection.TextRows($"SELECT {Shape.Replace("{v}", "vector", StringComparison.Ordinal)} FROM t ORDER BY rowid");
            if (!expected.SequenceEqual(actual))
            {
                var missing = expected.Except(actual).Take(3);
                var extra = actual.Except(expected).Take(3);
                throw new XunitException($"the scan differs from the model: model rows not in the index [{string.Join("; ", missing)}], index rows not in the model [{string.Join("; ", extra)}]");
            }

            for (var i = 0; i < 3; i++)
            {
                CheckKnn(connection, Condition());
            }

            if (_depth == 0)
            {
                connection.Execute("INSERT INTO t(t) VALUES ('integrity-check')");
            }
        }

        private void CheckKnn(SqliteConnection connection, string condition)
        {
            var query = RandomVector();
            var passing = ModelCheck.Rows(connection, $"SELECT id, v FROM model WHERE {condition}")
                .Select(row => (Id: row.Key, Distance: (double)System.Numerics.Tensors.TensorPrimitives.Distance(query, DiskAnnVector.FromBlob(row.Value))))
                .OrderBy(row => row.Distance).ThenBy(row => row.Id).ToList();

            // k covering every passing row: exactly those rows, in distance order.
            var all = Knn(connection, query, Math.Max(1, passing.Count), 10000, condition);
            if (!all.Select(r => r.Id).Order().SequenceEqual(passing.Select(r => r.Id).Order()))
            {
                throw new XunitException($"KNN with k = {passing.Count} AND {condition} returned rowids [{string.Join(", ", all.Select(r => r.Id).Order())}], the model's rows that pass are [{string.Join(", ", passing.Select(r => r.Id).Order())}]");
            }

            // A small k and list (the graph search when many rows pass): k passing rows with their own exact distances.
            var few = Knn(connection, query, 3, 3, condition);
            var byId = passing.ToDictionary(r => r.Id, r => r.Distance);
            if (few.Count != Math.Min(3, passing.Count) || few.Any(r => !byId.TryGetValue(r.Id, out var d) || Math.Abs(d - r.Distance) > 1e-4 * (1 + d))
                || few.Zip(few.Skip(1)).Any(p => p.First.Distance > p.Second.Distance))
            {
                throw new XunitException($"KNN with k = 3 AND {condition} returned [{string.Join(", ", few.Select(r => $"{r.Id}:{r.Distance:0.####}"))}] of {passing.Count} passing rows");
            }
        }

        private static List<(long Id, double Distance)> Knn(SqliteConnection connection, float[] query, int k, int list, string condition)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT rowid, distance FROM t WHERE vector MATCH $q AND k = {k} AND search_list_size = {list} AND {condition}";
            command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(query));
            using var reader = command.ExecuteReader();
            var rows = new List<(long, double)>();
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(0), reader.GetDouble(1)));
            }

            return rows;
        }

        /// <summary>Ids of existing rows picked here (not by random() in SQL, which would pick others for the model and the index).</summary>
        private string SomeIds(int count, bool movable = false)
        {
            var all = ModelCheck.Rows(_c, "SELECT id, v FROM model").Keys.ToHashSet();
            var ids = all.Where(id => !movable || (id < 1000 && !all.Contains(id + 1000))).ToList();
            return ids.Count == 0 ? "NULL" : string.Join(", ", Enumerable.Range(0, count).Select(_ => ids[_random.Next(ids.Count)]));
        }

        private string Condition()
        {
            var parts = Enumerable.Range(0, _random.Next(1, 3)).Select(_ => _random.Next(14) switch
            {
                0 => $"g = {_random.Next(-2, 6)}",
                1 => $"g IN ({_random.Next(-2, 6)}, {_random.Next(-2, 6)}, NULL)",
                2 => $"g > {_random.Next(-2, 6)}",
                3 => "g IS NULL",
                4 => $"tag = {Text()}",
                5 => $"tag IN ({Text()}, {Text()})",
                6 => $"tag != {Text()}",
                7 => $"tag < {Text()}",
                8 => $"w BETWEEN {_random.Next(-2, 3)} AND {_random.Next(0, 8)}",
                9 => "w IS NOT NULL",
                10 => $"part = {_random.Next(5)}",
                11 => $"part IN ({_random.Next(5)}, {_random.Next(5)})",
                12 => "part IS NULL",
                _ => $"rowid > {_random.Next(400)}",
            });
            return string.Join(" AND ", parts);
        }

        private string Value() => _random.Next(6) == 0 ? "NULL" : _random.Next(-2, 6).ToString(CultureInfo.InvariantCulture);

        private string Text() => Tags[_random.Next(Tags.Length)] is { } tag ? $"'{tag}'" : "NULL";

        private string Weight() => Weights[_random.Next(Weights.Length)] switch
        {
            null => "NULL",
            string text => $"'{text}'",
            var number => Convert.ToString(number, CultureInfo.InvariantCulture)!,
        };

        private string Part() => _random.Next(6) == 0 ? "NULL" : _random.Next(5).ToString(CultureInfo.InvariantCulture);

        private float[] RandomVector() => [.. Enumerable.Range(0, dimension).Select(_ => (float)_random.Next(-8, 9) / 4)];

        private byte[] Blob() => DiskAnnVector.ToBlob(RandomVector());

        private void Log(string text) => _log.Add(text);
    }
}
