using DiskAnn;
using Microsoft.Data.Sqlite;
using Xunit.Sdk;

namespace FunctionalTests.Sql;

/// <summary>
/// One random history of ordinary SQL against a <c>diskann</c> table <c>t</c>, mirrored statement by statement into a
/// plain table <c>model(id INTEGER PRIMARY KEY, v BLOB)</c> in the same database and the same transactions, so that
/// BEGIN, COMMIT, ROLLBACK, savepoints and failed statements give the model SQLite's own semantics. After every step
/// the index must agree with the model (<see cref="ModelCheck"/>); at every point outside a transaction
/// <c>'integrity-check'</c> must pass. Deterministic for a seed: every choice comes from one <see cref="Random"/>, and
/// depends only on the model (what a correct index holds).
/// </summary>
/// <remarks>
/// With <see cref="DifferentialCheck.ExactScan"/> or <see cref="DifferentialCheck.FreshBuild"/> the statements go to
/// the model alone and each check runs against an exact SQL scan of the model, or a fresh build of its rows: the same
/// generator, model and checker on another path.
/// </remarks>
public sealed class DifferentialHistory
{
    private const string Table = "t";
    private const int PoolSize = 256;
    private const int MaxRows = 300;

    private readonly TestDatabase _db;
    private readonly string _metric;
    private readonly int _dimension;
    private readonly int _maxDegree;
    private readonly string _extraOptions;

    /// <summary>An int8 table stores approximations: the checks compare rowids exactly and distances with the stored vectors.</summary>
    private readonly bool _quantized;
    private readonly bool _wal;
    private readonly DifferentialCheck _check;
    private readonly bool _modelOnly;
    private readonly Random _random;
    private readonly float[][] _pool;
    private readonly List<string> _log = [];

    /// <summary>The open transaction: BEGIN (null) or savepoint names, outermost first.</summary>
    private readonly List<string?> _stack = [];
    private SqliteConnection _c;
    private SqliteConnection? _other;
    private int _savepointCounter;
    private int _stepsInTransaction;
    private long _nextId = 1;

    public DifferentialHistory(TestDatabase db, string metric, int dimension, int maxDegree, bool wal, int seed, DifferentialCheck check = DifferentialCheck.Index, string extraOptions = "")
    {
        _extraOptions = extraOptions;
        _quantized = extraOptions.Contains("quantization=int8", StringComparison.Ordinal);
        _db = db;
        _metric = metric;
        _dimension = dimension;
        _maxDegree = maxDegree;
        _wal = wal;
        _check = check;
        _modelOnly = check != DifferentialCheck.Index;
        Seed = seed;
        _random = new Random(seed);
        _pool = MakePool();
        _c = db.Open(wal);
    }

    public int Seed { get; }

    /// <summary>The last steps, newest last, for the failure message.</summary>
    public IEnumerable<string> RecentSteps(int count) => _log.Skip(Math.Max(0, _log.Count - count));

    private bool InTransaction => _stack.Count > 0;

    private string CreateSql => $"CREATE VIRTUAL TABLE {Table} USING diskann(dimension={_dimension}, metric={_metric}"
        + (_maxDegree > 0 ? $", max_degree={_maxDegree}" : "") + (_extraOptions.Length > 0 ? ", " + _extraOptions : "") + ")";

    /// <summary>Runs <paramref name="steps"/> random steps, then ends any open transaction, reopens and checks once more.</summary>
    public void Run(int steps)
    {
        var step = -1;
        try
        {
            Log($"setup: {CreateSql}; CREATE TABLE model; CREATE TABLE pool ({PoolSize} vectors); journal {(_wal ? "WAL" : "delete")}");
            Setup();
            for (step = 0; step < steps; step++)
            {
                Step(step);
                Check(_random.Next(3) == 0);
            }

            step = steps;
            if (InTransaction)
            {
                Exec(_c, _random.Next(2) == 0 ? "ROLLBACK" : (_stack[0] is null ? "COMMIT" : $"RELEASE {_stack[0]}"), "end");
                _stack.Clear();
            }

            Reopen("end");
            Check(true);
        }
        catch (Exception e)
        {
            throw new XunitException(
                $"seed {Seed} ({_metric}, dimension {_dimension}, max_degree {(_maxDegree > 0 ? _maxDegree : "default")}{(_extraOptions.Length > 0 ? ", " + _extraOptions : "")}, {(_wal ? "WAL" : "rollback journal")}"
                + $"{(_modelOnly ? $", checked against {_check}" : "")}), step {step}: {_log.LastOrDefault()}\n{e.GetType().Name}: {e.Message}\n"
                + $"replay: DISKANN_DIFF_SEED={Seed} dotnet test tests/FunctionalTests --filter FullyQualifiedName~DifferentialTests\n"
                + "last steps:\n  " + string.Join("\n  ", RecentSteps(30)));
        }
    }

    private void Setup()
    {
        if (!_modelOnly)
        {
            _c.Execute(CreateSql);
        }

        _c.Execute($"CREATE TABLE model(id INTEGER PRIMARY KEY, v BLOB NOT NULL CHECK (typeof(v) = 'blob' AND length(v) = {_dimension * 4}))");
        _c.Execute("CREATE TABLE pool(id INTEGER PRIMARY KEY, v BLOB NOT NULL)");
        _c.Execute("BEGIN");
        for (var i = 0; i < _pool.Length; i++)
        {
            _c.Execute("INSERT INTO pool VALUES ($i, $v)", ("$i", i), ("$v", DiskAnnVector.ToBlob(_pool[i])));
        }

        _c.Execute("COMMIT");
    }

    /// <summary>
    /// Pool of vectors the history draws from: clustered Gaussians (around a few centres), the signed scaled unit
    /// vectors (all at one distance from the origin and from each other; for cosine, many exact ties), and a few
    /// vectors repeated many times over (identical vectors).
    /// </summary>
    private float[][] MakePool()
    {
        var pool = new List<float[]>();
        for (var i = 0; i < _dimension && pool.Count < 2 * _dimension; i++)
        {
            foreach (var sign in new[] { 1f, -1f })
            {
                var v = new float[_dimension];
                v[i] = sign * 2f;
                pool.Add(v);
            }
        }

        var centres = Enumerable.Range(0, 6).Select(_ => SqlHelpers.Gaussian(_random, _dimension, 1f)).ToArray();
        var repeated = Enumerable.Range(0, 4).Select(_ => SqlHelpers.Gaussian(_random, _dimension, 1f)).ToArray();
        while (pool.Count < PoolSize)
        {
            if (_random.Next(5) == 0)
            {
                pool.Add((float[])repeated[_random.Next(repeated.Length)].Clone());
                continue;
            }

            var centre = centres[_random.Next(centres.Length)];
            var noise = SqlHelpers.Gaussian(_random, _dimension, 0.3f);
            for (var j = 0; j < _dimension; j++)
            {
                noise[j] += centre[j];
            }

            pool.Add(noise);
        }

        return [.. pool];
    }

    private void Step(int step)
    {
        var rows = ModelIds(_c).Count;
        var depth = _stack.Count;
        var ops = new List<(double Weight, Action Run)>
        {
            (3, InsertOne),
            (1.5, InsertAutoRowId),
            (2, InsertOrReplace),
            (1, InsertOrIgnore),
            (3, UpdateVector),
            (2, UpdateRowId),
            (2, DeleteSome),
            (rows >= 12 ? 1 : 0, MassDelete),
            (0.3, DeleteAll),
            (rows < MaxRows - 100 ? 2.5 : 0, BulkLoad),
            (rows < MaxRows - 120 ? 1 : 0, Duplicates),
            (rows < MaxRows - 40 ? 0.7 : 0, EqualDistance),
            (2, Reload),
            (2, FailingStatement),
            (depth > 0 ? 3 : 1, KnnQuery),
            (depth > 0 ? 0.7 : 0, IntegrityCheckInTransaction),
            (depth > 0 ? 2 : 0, CheckInTransaction),
            (0.3, Optimize),
            (0.2, Rebuild),
            (depth == 0 ? 1.2 : 0, OtherConnectionWrites),
            (depth > 0 && _wal ? 1 : 0, OtherConnectionReads),
            (depth == 0 ? 0.8 : 0, () => Reopen("reopen")),
            (depth == 0 ? 3 : 0, Begin),
            (depth < 4 ? (depth == 0 ? 2 : 1.5) : 0, Savepoint),
            (_stack.Any(s => s is not null) ? 1.5 : 0, RollbackTo),
            (_stack.Any(s => s is not null) ? 1.5 : 0, Release),
            (depth > 0 && _stack[0] is null ? 1.5 + (_stepsInTransaction / 3.0) : 0, Commit),
            (depth > 0 ? 0.7 + (_stepsInTransaction / 10.0) : 0, Rollback),
        };
        var total = ops.Sum(o => o.Weight);
        var pick = _random.NextDouble() * total;
        var chosen = ops.Last(o => o.Weight > 0).Run;
        foreach (var (weight, run) in ops)
        {
            if (pick < weight)
            {
                chosen = run;
                break;
            }

            pick -= weight;
        }

        _stepsInTransaction = InTransaction ? _stepsInTransaction + 1 : 0;
        _log.Add($"#{step}{(InTransaction ? $" [in {string.Join(" > ", _stack.Select(s => s ?? "BEGIN"))}]" : "")}");
        chosen();
    }

    // ---- transaction control --------------------------------------------------------------------------------

    private void Begin()
    {
        Exec(_c, _random.Next(2) == 0 ? "BEGIN" : "BEGIN IMMEDIATE", "begin");
        _stack.Add(null);
    }

    private void Savepoint()
    {
        var name = $"s{++_savepointCounter}";
        Exec(_c, $"SAVEPOINT {name}", InTransaction ? "savepoint" : "savepoint outside BEGIN (starts the transaction)");
        _stack.Add(name);
    }

    private void RollbackTo()
    {
        var names = _stack.Select((s, i) => (s, i)).Where(x => x.s is not null).ToList();
        var (name, index) = names[_random.Next(names.Count)];
        Exec(_c, $"ROLLBACK TO {name}", index == 0 ? "rollback to the savepoint that started the transaction" : "rollback to");
        _stack.RemoveRange(index + 1, _stack.Count - index - 1);
    }

    private void Release()
    {
        var names = _stack.Select((s, i) => (s, i)).Where(x => x.s is not null).ToList();
        var (name, index) = names[_random.Next(names.Count)];
        Exec(_c, $"RELEASE {name}", index == 0 ? "release of the savepoint that started the transaction (commits)" : "release");
        _stack.RemoveRange(index, _stack.Count - index);
    }

    private void Commit()
    {
        Exec(_c, "COMMIT", "commit");
        _stack.Clear();
    }

    private void Rollback()
    {
        Exec(_c, "ROLLBACK", "rollback");
        _stack.Clear();
    }

    // ---- writes ---------------------------------------------------------------------------------------------

    private void InsertOne()
    {
        var id = NewId();
        var p = Pick();
        Log($"insert rowid {id}, pool vector {p}");
        Both(_c, "INSERT INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", id), ("$v", Blob(p)));
    }

    private void InsertAutoRowId()
    {
        var p = Pick();
        Log($"insert without a rowid, pool vector {p}");
        long id;
        if (_modelOnly)
        {
            _c.Execute("INSERT INTO model(v) VALUES ($v)", ("$v", Blob(p)));
            id = (long)_c.Scalar("SELECT last_insert_rowid()")!;
        }
        else
        {
            _c.Execute($"INSERT INTO {Table}(vector) VALUES ($v)", ("$v", Blob(p)));
            id = (long)_c.Scalar("SELECT last_insert_rowid()")!;
            Log($"  the index chose rowid {id}");
            if (ModelIds(_c).Contains(id))
            {
                throw new XunitException($"INSERT without a rowid reported rowid {id}, which an existing row has");
            }

            _c.Execute("INSERT INTO model(id, v) VALUES ($id, $v)", ("$id", id), ("$v", Blob(p)));
        }

        _nextId = Math.Max(_nextId, id + 1);
    }

    private void InsertOrReplace()
    {
        var ids = ModelIds(_c);
        var id = ids.Count > 0 && _random.Next(3) > 0 ? ids[_random.Next(ids.Count)] : NewId();
        var p = Pick();
        Log($"INSERT OR REPLACE rowid {id} ({(ids.Contains(id) ? "existing" : "new")}), pool vector {p}");
        Both(_c, "INSERT OR REPLACE INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", id), ("$v", Blob(p)));
    }

    private void InsertOrIgnore()
    {
        var ids = ModelIds(_c);
        var id = ids.Count > 0 && _random.Next(3) > 0 ? ids[_random.Next(ids.Count)] : NewId();
        var p = Pick();
        Log($"INSERT OR IGNORE rowid {id} ({(ids.Contains(id) ? "existing" : "new")}), pool vector {p}");
        Both(_c, "INSERT OR IGNORE INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", id), ("$v", Blob(p)));
    }

    private void UpdateVector()
    {
        var ids = ModelIds(_c);
        switch (_random.Next(5))
        {
            case 0 when ids.Count > 0:
            {
                var id = ids[_random.Next(ids.Count)];
                var p = Pick();
                Log($"update the vector of rowid {id} to pool vector {p}");
                Both(_c, "UPDATE {T} SET {v} = $v WHERE {id} = $id", ("$id", id), ("$v", Blob(p)));
                break;
            }

            case 1 when ids.Count > 1:
            {
                var (a, b) = (ids[_random.Next(ids.Count)], ids[_random.Next(ids.Count)]);
                Log($"update the vector of rowid {a} to that of rowid {b} (a duplicate)");
                Both(_c, "UPDATE {T} SET {v} = (SELECT v FROM model WHERE id = $b) WHERE {id} = $a", ("$a", a), ("$b", b));
                break;
            }

            case 2 when ids.Count > 0:
            {
                var (lo, hi) = Range(ids);
                var (mul, add) = (1 + _random.Next(40), _random.Next(PoolSize));
                Log($"update the vectors of rowids {lo}..{hi} to pool vectors (rowid * {mul} + {add}) % {PoolSize}");
                Both(_c, "UPDATE {T} SET {v} = (SELECT v FROM pool WHERE pool.id = ({T}.{id} * $mul + $add) % $n) WHERE {id} BETWEEN $lo AND $hi",
                    ("$mul", mul), ("$add", add), ("$n", PoolSize), ("$lo", lo), ("$hi", hi));
                break;
            }

            case 3:
            {
                var id = NewId();
                Log($"update the vector of rowid {id}, which no row has (changes nothing)");
                Both(_c, "UPDATE {T} SET {v} = $v WHERE {id} = $id", ("$id", id), ("$v", Blob(Pick())));
                break;
            }

            default:
            {
                var (mul, add) = (1 + _random.Next(40), _random.Next(PoolSize));
                Log($"update every vector to pool vector (rowid * {mul} + {add}) % {PoolSize} ({ids.Count} rows)");
                Both(_c, "UPDATE {T} SET {v} = (SELECT v FROM pool WHERE pool.id = ({T}.{id} * $mul + $add) % $n)", ("$mul", mul), ("$add", add), ("$n", PoolSize));
                break;
            }
        }
    }

    private void UpdateRowId()
    {
        var ids = ModelIds(_c);
        if (ids.Count == 0)
        {
            InsertOne();
            return;
        }

        var all = _random.Next(3) == 0;
        var (lo, hi) = all ? (ids[0], ids[^1]) : Range(ids);
        var moving = ids.Where(id => id >= lo && id <= hi).ToList();
        var existing = ids.ToHashSet();

        // A shift that lands on no current rowid, so no row collides at any point of the statement.
        var shift = 1000L * (1 + _random.Next(3));
        if (_random.Next(3) == 0 && lo > 1000)
        {
            shift = -1000L;
        }

        while (moving.Any(id => existing.Contains(id + shift) || id + shift < 1))
        {
            shift = shift > 0 ? shift + 1000 : 1000;
        }

        _nextId = Math.Max(_nextId, hi + shift + 1);
        if (_random.Next(3) == 0)
        {
            var (mul, add) = (1 + _random.Next(40), _random.Next(PoolSize));
            Log($"update rowid = rowid + {shift} and the vector for {(all ? "every row" : $"rowids {lo}..{hi}")} ({moving.Count} rows)");
            Both(_c, "UPDATE {T} SET {id} = {id} + $s, {v} = (SELECT v FROM pool WHERE pool.id = ({T}.{id} * $mul + $add) % $n) WHERE {id} BETWEEN $lo AND $hi",
                ("$s", shift), ("$mul", mul), ("$add", add), ("$n", PoolSize), ("$lo", lo), ("$hi", hi));
        }
        else if (all)
        {
            Log($"update rowid = rowid + {shift} on every row ({moving.Count} rows)");
            Both(_c, "UPDATE {T} SET {id} = {id} + $s", ("$s", shift));
        }
        else
        {
            Log($"update rowid = rowid + {shift} for rowids {lo}..{hi} ({moving.Count} rows)");
            Both(_c, "UPDATE {T} SET {id} = {id} + $s WHERE {id} BETWEEN $lo AND $hi", ("$s", shift), ("$lo", lo), ("$hi", hi));
        }
    }

    private void DeleteSome()
    {
        var ids = ModelIds(_c);
        if (ids.Count == 0)
        {
            InsertOne();
            return;
        }

        switch (_random.Next(4))
        {
            case 0:
            {
                var id = ids[_random.Next(ids.Count)];
                Log($"delete rowid {id}");
                Both(_c, "DELETE FROM {T} WHERE {id} = $id", ("$id", id));
                break;
            }

            case 1:
            {
                var (lo, hi) = Range(ids);
                Log($"delete rowids {lo}..{hi}");
                Both(_c, "DELETE FROM {T} WHERE {id} BETWEEN $lo AND $hi", ("$lo", lo), ("$hi", hi));
                break;
            }

            case 2:
            {
                var (m, r) = (2 + _random.Next(6), _random.Next(2));
                Log($"delete where rowid % {m} = {r}");
                Both(_c, "DELETE FROM {T} WHERE {id} % $m = $r", ("$m", m), ("$r", r));
                break;
            }

            default:
            {
                var some = ids.OrderBy(_ => _random.Next()).Take(1 + _random.Next(Math.Min(8, ids.Count))).ToList();
                Log($"delete rowid IN ({string.Join(", ", some)})");
                Both(_c, $"DELETE FROM {{T}} WHERE {{id}} IN ({string.Join(", ", some)})");
                break;
            }
        }
    }

    private void MassDelete()
    {
        var ids = ModelIds(_c);
        var keep = ids.OrderBy(_ => _random.Next()).Take(1 + _random.Next(5)).Order().ToList();
        Log($"mass delete: every row but rowids {string.Join(", ", keep)} ({ids.Count - keep.Count} of {ids.Count} rows)");
        Both(_c, $"DELETE FROM {{T}} WHERE {{id}} NOT IN ({string.Join(", ", keep)})");
    }

    private void DeleteAll()
    {
        Log("DELETE FROM t (every row)");
        Both(_c, "DELETE FROM {T}");
    }

    private void BulkLoad()
    {
        var n = 20 + _random.Next(100);
        var own = !InTransaction;
        var asOneStatement = _random.Next(3) == 0;
        var first = NewId();
        _nextId = first + n;
        var offset = _random.Next(PoolSize - n);
        Log($"bulk load {n} rows, rowids {first}..{first + n - 1}, {(asOneStatement ? $"one INSERT ... SELECT of pool vectors {offset}.." : "one INSERT per row")}{(own ? ", in one transaction" : "")}");
        if (own)
        {
            _c.Execute("BEGIN");
        }

        if (asOneStatement)
        {
            Both(_c, "INSERT INTO {T}({id}, {v}) SELECT id - $offset + $first, v FROM pool WHERE id >= $offset AND id < $offset + $n",
                ("$offset", offset), ("$first", first), ("$n", n));
        }
        else
        {
            for (var i = 0; i < n; i++)
            {
                Both(_c, "INSERT INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", first + i), ("$v", Blob(Pick())));
            }
        }

        if (own)
        {
            _c.Execute("COMMIT");
        }
    }

    private void Duplicates()
    {
        var n = 20 + _random.Next(100);
        var p = Pick();
        var first = NewId();
        _nextId = first + n;
        Log($"{n} rows with the same vector (pool vector {p}), rowids {first}..{first + n - 1}, in one statement");
        Both(_c, "INSERT INTO {T}({id}, {v}) SELECT id + $first, $v FROM pool WHERE id < $n", ("$first", first), ("$v", Blob(p)), ("$n", n));
    }

    private void EqualDistance()
    {
        var copies = 1 + _random.Next(3);
        var first = NewId();
        var n = 2 * _dimension * copies;
        _nextId = first + n;
        Log($"{n} rows at one distance from the origin and each other (+-2 e_i, {copies} of each), rowids {first}..{first + n - 1}");
        for (var c = 0; c < copies; c++)
        {
            Both(_c, "INSERT INTO {T}({id}, {v}) SELECT id + $first, v FROM pool WHERE id < $m", ("$m", 2 * _dimension), ("$first", first + (c * 2 * _dimension)));
        }
    }

    private void Reload()
    {
        var rows = ModelRows(_c);
        var own = !InTransaction;
        var mode = _random.Next(3);
        var what = mode switch { 0 => "the same rows", 1 => "the same rowids with other vectors", _ => "the same vectors under new rowids" };
        Log($"reload: DELETE FROM t, then INSERT {rows.Count} rows again ({what}){(own ? ", in one transaction" : "")}");
        if (own)
        {
            _c.Execute("BEGIN");
        }

        Both(_c, "DELETE FROM {T}");
        var first = NewId();
        var i = 0;
        foreach (var (id, v) in rows)
        {
            var (newId, blob) = mode switch { 0 => (id, v), 1 => (id, Blob(Pick())), _ => (first + i, v) };
            Both(_c, "INSERT INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", newId), ("$v", blob));
            i++;
        }

        _nextId = Math.Max(_nextId, first + rows.Count);
        if (own)
        {
            _c.Execute("COMMIT");
        }
    }

    /// <summary>
    /// A statement that fails half-way (the model's CHECK and PRIMARY KEY make it fail at the same row), inside a
    /// transaction often after a KNN query and a delete: both must fail, and neither may keep any of its rows.
    /// </summary>
    private void FailingStatement()
    {
        var ids = ModelIds(_c);
        if (InTransaction && ids.Count > 0 && _random.Next(3) > 0)
        {
            KnnQuery();
            if (_random.Next(2) == 0)
            {
                var victim = ids[_random.Next(ids.Count)];
                Log($"delete rowid {victim}");
                Both(_c, "DELETE FROM {T} WHERE {id} = $id", ("$id", victim));
                ids.Remove(victim);
            }
        }

        var (a, b) = (NewId(), NewId() + 1);
        _nextId = b + 1;
        var kind = ids.Count == 0 ? 1 + _random.Next(2) : _random.Next(5);
        var dup = ids.Count > 0 ? ids[_random.Next(ids.Count)] : 0;
        var failed = kind switch
        {
            0 => Fail($"multi-row INSERT whose third row repeats rowid {dup}",
                "INSERT INTO {T}({id}, {v}) VALUES ($a, $va), ($b, $vb), ($dup, $vc)", ("$a", a), ("$b", b), ("$dup", dup), ("$va", Blob(Pick())), ("$vb", Blob(Pick())), ("$vc", Blob(Pick()))),
            1 => Fail("multi-row INSERT whose second row has a vector of the wrong length",
                "INSERT INTO {T}({id}, {v}) VALUES ($a, $va), ($b, x'00000000')", ("$a", a), ("$b", b), ("$va", Blob(Pick()))),
            2 => Fail("multi-row INSERT whose second row has a NULL vector",
                "INSERT INTO {T}({id}, {v}) VALUES ($a, $va), ($b, NULL)", ("$a", a), ("$b", b), ("$va", Blob(Pick()))),
            3 => FailUpdate(ids),
            _ => Fail("UPDATE of a rowid to one another row has",
                "UPDATE {T} SET {id} = $to WHERE {id} = $from", ("$to", ids[0]), ("$from", ids[^1])),
        };
        if (!failed && !(kind == 4 && ids.Count == 1))
        {
            throw new XunitException("a statement that must fail succeeded on both the index and the plain table (harness error)");
        }
    }

    private bool FailUpdate(List<long> ids)
    {
        var (lo, hi) = Range(ids);
        return Fail($"UPDATE of the vectors of rowids {lo}..{hi} where the last one gets a vector of the wrong length",
            "UPDATE {T} SET {v} = CASE WHEN {id} = $hi THEN x'00' ELSE (SELECT v FROM pool WHERE pool.id = {T}.{id} % $n) END WHERE {id} BETWEEN $lo AND $hi",
            ("$lo", lo), ("$hi", hi), ("$n", PoolSize));
    }

    private bool Fail(string what, string template, params (string Name, object? Value)[] parameters)
    {
        Log($"failing statement: {what}");
        return Both(_c, template, parameters);
    }

    // ---- reads, commands, connections -----------------------------------------------------------------------

    private void KnnQuery()
    {
        var query = Query();
        var k = 1 + _random.Next(20);
        Log($"KNN k = {k} from {ModelCheck.Show(query)}");
        if (!_modelOnly)
        {
            var rows = _quantized ? ModelCheck.Rows(_c, $"SELECT rowid, vector FROM {Table}") : ModelRows(_c);
            var model = rows.ToDictionary(r => r.Key, r => DiskAnnVector.FromBlob(r.Value));
            ModelCheck.DefaultKnn(ModelCheck.Knn(_c, Table), _metric, model, query, k);
        }
    }

    private void IntegrityCheckInTransaction()
    {
        Log("integrity-check inside the transaction");
        if (!_modelOnly)
        {
            _c.Execute($"INSERT INTO {Table}({Table}) VALUES ('integrity-check')");
        }
    }

    private void CheckInTransaction()
    {
        Log("exhaustive check inside the transaction");
        Check(true);
    }

    private void Optimize()
    {
        Log("'optimize'");
        if (!_modelOnly)
        {
            _c.Execute($"INSERT INTO {Table}({Table}) VALUES ('optimize')");
        }
    }

    private void Rebuild()
    {
        Log("'rebuild'");
        if (!_modelOnly)
        {
            _c.Execute($"INSERT INTO {Table}({Table}) VALUES ('rebuild')");
        }
    }

    private void OtherConnectionWrites()
    {
        _other ??= _db.Open();
        var ids = ModelIds(_other);
        var n = 1 + _random.Next(10);
        var first = NewId();
        _nextId = first + n;
        Log($"second connection: BEGIN IMMEDIATE; insert rowids {first}..{first + n - 1}; delete and update a row; COMMIT");
        _other.Execute("BEGIN IMMEDIATE");
        for (var i = 0; i < n; i++)
        {
            Both(_other, "INSERT INTO {T}({id}, {v}) VALUES ($id, $v)", ("$id", first + i), ("$v", Blob(Pick())));
        }

        if (ids.Count > 1)
        {
            Both(_other, "DELETE FROM {T} WHERE {id} = $id", ("$id", ids[_random.Next(ids.Count)]));
            Both(_other, "UPDATE {T} SET {v} = $v WHERE {id} = $id", ("$id", ids[_random.Next(ids.Count)]), ("$v", Blob(Pick())));
        }

        _other.Execute("COMMIT");
        CheckConnection(_other, true);
    }

    private void OtherConnectionReads()
    {
        _other ??= _db.Open();
        Log("second connection reads (sees the last commit only) while this one is in a transaction");
        CheckConnection(_other, true);
    }

    private void Reopen(string why)
    {
        Log($"{why}: close the connection{(_other is null ? "" : "s")} and open the file again");
        _c.Dispose();
        _other?.Dispose();
        _other = null;
        _c = _db.Open();
    }

    // ---- checking -------------------------------------------------------------------------------------------

    /// <summary>The scan after every step; outside a transaction also the exhaustive KNN and the integrity check, inside one only when asked.</summary>
    private void Check(bool knnInTransaction)
    {
        CheckConnection(_c, !InTransaction || knnInTransaction);
        if (!InTransaction && _other is not null && _random.Next(3) == 0)
        {
            CheckConnection(_other, true);
        }
    }

    private void CheckConnection(SqliteConnection connection, bool knn)
    {
        var model = ModelRows(connection);
        var queries = knn ? Enumerable.Range(0, 3).Select(_ => Query()).ToList() : [];
        if (_check == DifferentialCheck.ExactScan)
        {
            ModelCheck.All(() => ModelRows(connection), ExactScan(connection), _metric, model, queries);
            return;
        }

        if (_check == DifferentialCheck.FreshBuild)
        {
            using var fresh = new SqliteConnection("Data Source=:memory:");
            fresh.Open();
            fresh.LoadDiskAnn();
            fresh.Execute(CreateSql);
            fresh.Execute("BEGIN");
            foreach (var (id, v) in model)
            {
                fresh.Execute($"INSERT INTO {Table}(rowid, vector) VALUES ($id, $v)", ("$id", id), ("$v", v));
            }

            fresh.Execute("COMMIT");
            ModelCheck.All(fresh, Table, _metric, model, queries);
            fresh.Execute($"INSERT INTO {Table}({Table}) VALUES ('integrity-check')");
            return;
        }

        if (_quantized)
        {
            ModelCheck.AllQuantized(connection, Table, _metric, model, queries);
        }
        else
        {
            ModelCheck.All(connection, Table, _metric, model, queries);
        }

        // 'integrity-check' is an INSERT: it needs the write lock, which this connection holds while in a transaction.
        if (!InTransaction)
        {
            connection.Execute($"INSERT INTO {Table}({Table}) VALUES ('integrity-check')");
        }
    }

    /// <summary>The exact k nearest of the model by the module's own distance function, ties by id.</summary>
    private KnnSearch ExactScan(SqliteConnection connection) => (query, k, _) =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, vector_distance_{_metric}(v, $q) AS d FROM model ORDER BY d, id LIMIT $k";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(query));
        command.Parameters.AddWithValue("$k", k);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, double)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }

        return rows;
    };

    /// <summary>A query vector: random, a pool vector (exact matches and ties), the all-ones vector, or the origin (l2).</summary>
    private float[] Query() => _random.Next(5) switch
    {
        0 => (float[])_pool[_random.Next(_pool.Length)].Clone(),
        1 => Enumerable.Repeat(1f, _dimension).ToArray(),
        2 when _metric != "cosine" => new float[_dimension],
        _ => SqlHelpers.Gaussian(_random, _dimension, 1.5f),
    };

    // ---- statements on both tables --------------------------------------------------------------------------

    /// <summary>
    /// Runs the statement on the index ({T} = t, {id} = rowid, {v} = vector) and then on the model ({T} = model,
    /// {id} = id, {v} = v): both must succeed with the same number of changed rows, or both fail. Returns whether they failed.
    /// </summary>
    private bool Both(SqliteConnection connection, string template, params (string Name, object? Value)[] parameters)
    {
        if (_modelOnly)
        {
            return Try(connection, Sql(template, index: false), parameters, out _) is not null;
        }

        var indexError = Try(connection, Sql(template, index: true), parameters, out var indexChanges);
        var modelError = Try(connection, Sql(template, index: false), parameters, out var modelChanges);
        if ((indexError is null) != (modelError is null))
        {
            throw new XunitException(
                $"the index {(indexError is null ? "accepted" : $"failed ({indexError.Message})")} but the plain table "
                + $"{(modelError is null ? "accepted" : $"failed ({modelError.Message})")}: {Sql(template, index: true)}");
        }

        if (indexError is null && indexChanges != modelChanges)
        {
            throw new XunitException($"the index reported {indexChanges} rows changed, the plain table {modelChanges}: {Sql(template, index: true)}");
        }

        return indexError is not null;
    }

    private static SqliteException? Try(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, out int changes)
    {
        try
        {
            changes = connection.Execute(sql, parameters);
            return null;
        }
        catch (SqliteException e)
        {
            changes = -1;
            return e;
        }
    }

    private static string Sql(string template, bool index) => template
        .Replace("{T}", index ? Table : "model", StringComparison.Ordinal)
        .Replace("{id}", index ? "rowid" : "id", StringComparison.Ordinal)
        .Replace("{v}", index ? "vector" : "v", StringComparison.Ordinal);

    private void Exec(SqliteConnection connection, string sql, string what)
    {
        Log($"{sql} ({what})");
        connection.Execute(sql);
    }

    private void Log(string text)
    {
        if (_log.Count > 0 && _log[^1].StartsWith('#') && !_log[^1].Contains(':', StringComparison.Ordinal))
        {
            _log[^1] += ": " + text;
        }
        else
        {
            _log.Add("   " + text);
        }
    }

    private static List<long> ModelIds(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM model ORDER BY id";
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static SortedDictionary<long, byte[]> ModelRows(SqliteConnection connection) => ModelCheck.Rows(connection, "SELECT id, v FROM model");

    /// <summary>A rowid above every one used so far, now and then with a gap.</summary>
    private long NewId()
    {
        var id = _nextId + (_random.Next(4) == 0 ? _random.Next(1, 50) : 0);
        _nextId = id + 1;
        return id;
    }

    private (long Lo, long Hi) Range(List<long> ids)
    {
        var i = _random.Next(ids.Count);
        var j = Math.Min(ids.Count - 1, i + _random.Next(Math.Max(1, ids.Count / 2)));
        return (ids[i], ids[j]);
    }

    private int Pick() => _random.Next(_pool.Length);

    private byte[] Blob(int poolIndex) => DiskAnnVector.ToBlob(_pool[poolIndex]);
}
