using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace DiskAnn.Benchmarks;

/// <summary>
/// What the per-connection design (every SQLite connection loads its own in-memory image of every diskann index on its
/// first query) costs an application that uses many pooled connections: readers on N pooled connections with a writer
/// beside them (throughput, process memory), the first query on a fresh connection, the next query on other
/// connections after a one-row commit, and the EF Core web pattern (a DbContext per request, or pooled contexts).
/// </summary>
public static class PoolBench
{
    private const string Table = "idx";

    public sealed class PoolDoc
    {
        public long Id { get; set; }

        public string Title { get; set; } = "";

        public float[]? Embedding { get; set; }
    }

    /// <summary>One constructor parameter only, as <see cref="Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory{TContext}"/> needs.</summary>
    public sealed class PoolDb(DbContextOptions<PoolDb> options) : DbContext(options)
    {
        /// <summary>Set before the first context is made: EF Core builds the model once per context type.</summary>
        public static int Dimension { get; set; } = 384;

        public static int SearchListSize { get; set; } = 20;

        public DbSet<PoolDoc> Docs => Set<PoolDoc>();

        protected override void OnModelCreating(ModelBuilder modelBuilder)
            => modelBuilder.Entity<PoolDoc>().HasDiskAnnIndex(d => d.Embedding, Dimension).HasSearchListSize(SearchListSize);
    }

    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var l = options.OperatingL ?? 20;
        var k = context.K;
        var rowIds = new RowIds(10_000_000);

        var path = context.NewDatabasePath("pool");
        Report.Progress($"pool: building {data.BaseCount:N0} rows into {path}");
        SqlIndex.BuildTimes build;
        using (var connection = SqlIndex.Open(path))
        {
            build = SqlIndex.Build(connection, data, Table, options.IndexOptions, SqlIndex.AllRows(data));
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        Report.Progress($"pool: built in {build.TotalSeconds:0.0} s");
        var pooled = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        var unpooled = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

        Readers(context, pooled, unpooled, l, rowIds);
        FirstQuery(context, pooled, unpooled, l);
        AfterCommit(context, pooled, l, rowIds);
        EfCore(context, l);
    }

    /// <summary>Part 1: N pooled connections querying on N threads while one more connection inserts 50 rows a second.</summary>
    private static void Readers(BenchContext context, string pooled, string writerConnectionString, int l, RowIds rowIds)
    {
        var data = context.Data;
        var seconds = context.Options.PoolSeconds;
        var counts = context.Options.PoolConnections;
        var rate = context.Options.PoolWritesPerSecond;
        var baseline = Memory();
        Report.Progress($"pool: baseline before any pooled connection: GC heap {baseline.GcMb:0.0} MB, working set {baseline.WorkingSetMb:0.0} MB, private {baseline.PrivateMb:0.0} MB");

        // An untimed pass first, so that JIT and the first loads of the process do not land on the first row.
        ReadersOnce(context, pooled, writerConnectionString, 1, l, Math.Min(1, seconds), rate, rowIds);
        var runs = new List<ReaderRun>();
        foreach (var n in counts)
        {
            var run = ReadersOnce(context, pooled, writerConnectionString, n, l, seconds, rate, rowIds);
            runs.Add(run);
            Report.Progress($"pool: {n} connections: {run.Qps:0} QPS on {run.CoresUsed:0.00} cores, GC heap {run.Memory.GcMb:0} MB, working set {run.Memory.WorkingSetMb:0} MB, {run.Images} images {run.ImagesMb:0} MB, writer {run.Inserted} rows, median {run.InsertMedianMs:0.00} ms");
        }

        var scaling = Scaling(context, pooled, writerConnectionString, l, seconds, rate, rowIds);
        var one = runs[0];
        var table = new MarkdownTable(
            "pooled connections (one thread each)",
            "total QPS",
            "QPS vs 1",
            "cores used",
            "QPS per core used",
            "first query per connection, median ms",
            "distinct images (diskann_status)",
            "images MB",
            "GC heap MB",
            "GC heap vs 1",
            "GC heap above baseline vs 1",
            "working set MB",
            "working set vs 1",
            "private bytes MB",
            "writer rows inserted",
            "writer insert median ms",
            "writer insert max ms",
            "target");
        foreach (var r in runs)
        {
            var targets = new List<string>();
            if (r.Connections == 2)
            {
                targets.Add("QPS >= 1.8x one thread");
            }

            if (r.Connections == 16)
            {
                targets.Add("memory <= 1.3x one connection");
            }

            table.Add(
                r.Connections,
                r.Qps,
                Report.X(r.Qps / one.Qps),
                r.CoresUsed,
                r.Qps / r.CoresUsed,
                r.FirstQueryMs,
                r.Images,
                r.ImagesMb,
                r.Memory.GcMb,
                Report.X(r.Memory.GcMb / one.Memory.GcMb),
                Report.X((r.Memory.GcMb - baseline.GcMb) / (one.Memory.GcMb - baseline.GcMb)),
                r.Memory.WorkingSetMb,
                Report.X(r.Memory.WorkingSetMb / one.Memory.WorkingSetMb),
                r.Memory.PrivateMb,
                r.Inserted,
                r.InsertMedianMs,
                r.InsertMaxMs,
                string.Join("; ", targets));
        }

        Report.Heading($"`pool` — pooled connections querying at once, {data.Name}, WAL file, search_list_size = {l}, k = {context.K}, {seconds:0.#} s per row, {(rate > 0 ? $"one more connection inserting {rate:0.#} rows/s" : "no writer")}");
        Report.Table(table);
        Report.Line(
            $"Each of the N connections is a Microsoft.Data.Sqlite connection with `Pooling=True`, opened, `LoadDiskAnn()`, and runs KNN queries "
            + $"(prepared, `vector MATCH $q AND k = {context.K} AND search_list_size = {l}`) on its own thread ({Environment.ProcessorCount} cores); its first query "
            + "(the one that loads its image, run before the timed part, all N at once) is the *first query* column. Total QPS counts every reader's queries over the timed part; "
            + "*cores used* = the process's CPU time over the timed part / its wall time (readers, writer, GC, JIT): the machine is shared, and more threads win the process a larger share of it, "
            + "so *QPS per core used* is the fairer comparison between rows. "
            + (rate > 0 ? $"Beside them, one more connection (`Pooling=False`) inserts one row per autocommit transaction every {1000 / rate:0.#} ms (new rowids, vectors copied from the base set). " : "No writer (`--writes-per-second 0`). ")
            + $"Its rows and insert latency are the *writer* columns (default `PRAGMA synchronous` = {one.Synchronous}{(one.Synchronous == 2 ? ", FULL: every commit syncs the WAL file" : "")}). Memory is taken after the timed part, every reader having queried and still open, the writer "
            + "closed, after a full compacting GC (`GCCollectionMode.Aggressive`, which also returns free memory to the OS): GC heap = `GC.GetTotalMemory(true)` "
            + "(the images are managed memory), working set and private bytes = `Process.WorkingSet64` / `PrivateMemorySize64` (on Linux VmRSS and VmData; "
            + "the process keeps some memory it freed, so these move less cleanly than the GC heap); "
            + "*images* = the distinct in-memory images of the index (`diskann_status`: connections that share one report the same `image`) and their `memory_bytes`. "
            + $"Baseline before any pooled connection (the benchmark holds the {Report.Mb(data.RawBytes)} MB data set in memory): GC heap {baseline.GcMb:0.0} MB, "
            + $"working set {baseline.WorkingSetMb:0.0} MB, private bytes {baseline.PrivateMb:0.0} MB; *above baseline vs 1* compares the GC heap the "
            + "connections add. The pool is cleared between rows.");
        Report.Line(
            $"Two threads against one, measured again in {scaling.Count} interleaved pairs (1 connection and 2, which first alternating, {seconds:0.#} s each, the same writer beside them; "
            + "a single pair moves with whatever else the shared machine runs at that moment): QPS ratio per pair "
            + string.Join(", ", scaling.Select(r => Report.X(r)))
            + $"; median {Report.X(Median(scaling))} (target >= 1.8x).");
    }

    /// <summary>The 2-thread / 1-thread QPS ratio of interleaved pairs of runs (the first row of the table is one sample).</summary>
    private static List<double> Scaling(BenchContext context, string pooled, string writerConnectionString, int l, double seconds, double rate, RowIds rowIds)
    {
        var ratios = new List<double>();
        for (var pair = 0; pair < ScalingPairs; pair++)
        {
            // Alternating which runs first, so that a drift of the shared machine's load does not favour one side.
            ReaderRun one, two;
            if (pair % 2 == 0)
            {
                one = ReadersOnce(context, pooled, writerConnectionString, 1, l, seconds, rate, rowIds);
                two = ReadersOnce(context, pooled, writerConnectionString, 2, l, seconds, rate, rowIds);
            }
            else
            {
                two = ReadersOnce(context, pooled, writerConnectionString, 2, l, seconds, rate, rowIds);
                one = ReadersOnce(context, pooled, writerConnectionString, 1, l, seconds, rate, rowIds);
            }

            ratios.Add(two.Qps / one.Qps);
            Report.Progress($"pool: scaling pair {pair + 1}/{ScalingPairs}: 1 connection {one.Qps:0} QPS, 2 connections {two.Qps:0} QPS, {two.Qps / one.Qps:0.00}x");
        }

        return ratios;
    }

    /// <summary>Interleaved 1- and 2-connection runs behind the scaling figure.</summary>
    private const int ScalingPairs = 9;

    private readonly record struct MemorySample(double GcMb, double WorkingSetMb, double PrivateMb);

    private sealed record ReaderRun(int Connections, int Synchronous, double Qps, double CoresUsed, double FirstQueryMs, MemorySample Memory, int Images, double ImagesMb, int Inserted, double InsertMedianMs, double InsertMaxMs);

    private static ReaderRun ReadersOnce(BenchContext context, string pooled, string writerConnectionString, int n, int l, double seconds, double rate, RowIds rowIds)
    {
        var data = context.Data;
        var k = context.K;
        SqliteConnection.ClearAllPools();
        GC.Collect();

        var connections = new SqliteConnection[n];
        var queries = new KnnQuery[n];
        for (var i = 0; i < n; i++)
        {
            connections[i] = new SqliteConnection(pooled);
            connections[i].Open();
            connections[i].LoadDiskAnn();
            queries[i] = new KnnQuery(connections[i], Table, k, withListSize: true);
            queries[i].Prepare();
            queries[i].ListSize = l;
        }

        var synchronous = Convert.ToInt32(SqlIndex.Scalar(connections[0], "PRAGMA synchronous"), System.Globalization.CultureInfo.InvariantCulture);
        var firstMs = new double[n];
        var done = new long[n];
        var stop = 0;
        var insertLatencies = new List<double>();
        using var barrier = new Barrier(n + 2);
        var readers = Enumerable.Range(0, n).Select(t => new Thread(() =>
        {
            var found = new int[k];
            var start = Stopwatch.GetTimestamp();
            queries[t].Run(data.QueryBlobs[t % data.QueryCount], found);
            firstMs[t] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            for (var q = 0; q < Math.Min(20, data.QueryCount); q++)
            {
                queries[t].Run(data.QueryBlobs[q], found);
            }

            barrier.SignalAndWait();
            long count = 0;
            var query = t * data.QueryCount / n;
            while (Volatile.Read(ref stop) == 0)
            {
                queries[t].Run(data.QueryBlobs[query], found);
                query = (query + 1) % data.QueryCount;
                count++;
            }

            done[t] = count;
            barrier.SignalAndWait();
        })).ToList();

        var writer = new Thread(() =>
        {
            if (rate <= 0)
            {
                barrier.SignalAndWait();
                barrier.SignalAndWait();
                return;
            }

            using (var connection = new SqliteConnection(writerConnectionString))
            {
                connection.Open();
                connection.LoadDiskAnn();
                using var rows = new RowWriter(connection, data, rowIds);
                rows.InsertOne(); // loads the writer's image before the timed part
                barrier.SignalAndWait();
                var interval = TimeSpan.FromSeconds(1.0 / rate);
                var clock = Stopwatch.StartNew();
                var next = TimeSpan.Zero;
                while (Volatile.Read(ref stop) == 0)
                {
                    var wait = next - clock.Elapsed;
                    if (wait > TimeSpan.Zero)
                    {
                        Thread.Sleep(wait);
                        continue;
                    }

                    insertLatencies.Add(rows.InsertOne());
                    next += interval;
                    if (next < clock.Elapsed)
                    {
                        next = clock.Elapsed; // behind schedule: no burst to catch up, the count shows the shortfall
                    }
                }
            }

            barrier.SignalAndWait();
        });

        foreach (var thread in readers.Append(writer))
        {
            thread.Start();
        }

        barrier.SignalAndWait();
        var cpu0 = CpuSeconds();
        var sw = Stopwatch.StartNew();
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        Volatile.Write(ref stop, 1);
        barrier.SignalAndWait();
        var elapsed = sw.Elapsed.TotalSeconds;
        var cores = (CpuSeconds() - cpu0) / elapsed;
        foreach (var thread in readers.Append(writer))
        {
            thread.Join();
        }

        var (images, imagesBytes) = Images(connections[0]);
        var memory = Memory();
        foreach (var q in queries)
        {
            q.Dispose();
        }

        foreach (var c in connections)
        {
            c.Dispose();
        }

        SqliteConnection.ClearAllPools();
        GC.Collect();
        insertLatencies.Sort();
        return new ReaderRun(
            n,
            synchronous,
            done.Sum() / elapsed,
            cores,
            Median(firstMs),
            memory,
            images,
            imagesBytes / 1e6,
            insertLatencies.Count,
            insertLatencies.Count == 0 ? double.NaN : Median(insertLatencies),
            insertLatencies.Count == 0 ? double.NaN : insertLatencies[^1]);
    }

    /// <summary>Part 2: open + LoadDiskAnn + one KNN on a brand-new (unpooled) connection while another connection has the index loaded.</summary>
    private static void FirstQuery(BenchContext context, string pooled, string unpooled, int l)
    {
        var data = context.Data;
        var k = context.K;
        var rounds = context.Options.PoolFreshConnections;
        SqliteConnection.ClearAllPools();
        using var holder = new SqliteConnection(pooled);
        holder.Open();
        holder.LoadDiskAnn();
        var found = new int[k];
        using (var warm = new KnnQuery(holder, Table, k, withListSize: true))
        {
            warm.ListSize = l;
            for (var q = 0; q < Math.Min(20, data.QueryCount); q++)
            {
                warm.Run(data.QueryBlobs[q], found);
            }
        }

        var open = new List<double>();
        var first = new List<double>();
        var total = new List<double>();
        var second = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var query = data.QueryBlobs[(round * 37) % data.QueryCount];
            var start = Stopwatch.GetTimestamp();
            using var connection = new SqliteConnection(unpooled);
            connection.Open();
            connection.LoadDiskAnn();
            var opened = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            using var knn = new KnnQuery(connection, Table, k, withListSize: true);
            knn.ListSize = l;
            knn.Run(query, found);
            var all = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            open.Add(opened);
            first.Add(all - opened);
            total.Add(all);
            var again = Stopwatch.GetTimestamp();
            knn.Run(data.QueryBlobs[((round * 37) + 1) % data.QueryCount], found);
            second.Add(Stopwatch.GetElapsedTime(again).TotalMilliseconds);
        }

        Report.Progress($"pool: fresh connection: first query median {Median(first):0.0} ms, max {first.Max():0.0} ms");
        Report.Heading($"`pool` — the first query on a fresh connection while another connection of the process has the index loaded, {data.Name}, search_list_size = {l}, k = {k}, {rounds} fresh connections");
        Report.Table(new MarkdownTable("step", "median ms", "max ms", "target")
            .Add("open + `LoadDiskAnn()` (`Pooling=False`: a new native connection)", Median(open), open.Max(), "")
            .Add("first KNN query on it", Median(first), first.Max(), "<= 1 ms")
            .Add("open + `LoadDiskAnn()` + first KNN query", Median(total), total.Max(), "")
            .Add("second KNN query on it (for reference)", Median(second), second.Max(), ""));
        Report.Line("Each round opens a new connection (`Pooling=False`), calls `LoadDiskAnn()`, runs one KNN query (statement prepared by that first run), then a second one, and disposes the connection; one pooled connection stays open with the index loaded throughout.");
    }

    /// <summary>Part 3: the next query on 4 other connections after a one-row autocommit insert, vs a query just before it.</summary>
    private static void AfterCommit(BenchContext context, string pooled, int l, RowIds rowIds)
    {
        var data = context.Data;
        var k = context.K;
        var rounds = context.Options.PoolCommitRounds;
        const int readerCount = 4;
        SqliteConnection.ClearAllPools();
        var connections = Enumerable.Range(0, readerCount + 1).Select(_ =>
        {
            var c = new SqliteConnection(pooled);
            c.Open();
            c.LoadDiskAnn();
            return c;
        }).ToArray();
        var readers = connections.Skip(1).Select(c =>
        {
            var q = new KnnQuery(c, Table, k, withListSize: true);
            q.Prepare();
            q.ListSize = l;
            return q;
        }).ToArray();
        try
        {
            using var writer = new RowWriter(connections[0], data, rowIds);
            writer.InsertOne();
            var found = new int[k];
            foreach (var reader in readers)
            {
                for (var q = 0; q < Math.Min(50, data.QueryCount); q++)
                {
                    reader.Run(data.QueryBlobs[q], found);
                }
            }

            var without = new List<double>();
            var after = new List<double>();
            var commits = new List<double>();
            for (var round = -2; round < rounds; round++)
            {
                var query = data.QueryBlobs[(round + 2) * 13 % data.QueryCount];
                var before = readers.Select(r => Timed(() => r.Run(query, found))).ToArray();
                var commit = writer.InsertOne();
                var next = readers.Select(r => Timed(() => r.Run(query, found))).ToArray();
                if (round >= 0)
                {
                    without.AddRange(before);
                    after.AddRange(next);
                    commits.Add(commit);
                }
            }

            var extra = Median(after) - Median(without);
            Report.Progress($"pool: after a one-row commit: next query median {Median(after):0.000} ms vs {Median(without):0.000} ms without");
            Report.Heading($"`pool` — the next query on other connections after a one-row commit, {data.Name}, search_list_size = {l}, k = {k}, {readerCount} other connections, {rounds} rounds");
            Report.Table(new MarkdownTable("measure", "median ms", "max ms", "target")
                .Add("query with no commit since the connection's last query", Median(without), without.Max(), "")
                .Add("next query after another connection's one-row commit", Median(after), after.Max(), "")
                .Add("extra latency (median after - median without)", extra, "", "<= 1 ms")
                .Add("the one-row INSERT (autocommit) on the writing connection", Median(commits), commits.Max(), ""));
            Report.Line(
                $"All {readerCount + 1} connections are pooled (`Pooling=True`), open, loaded and warmed. Each round: every reader runs the round's query once "
                + "(*no commit* sample), one connection inserts one row in autocommit (new rowid, a base vector; default `PRAGMA synchronous`, so the commit syncs the WAL), then every reader runs the same query again "
                + $"(*after commit* sample), one after the other on one thread; {rounds} rounds x {readerCount} readers samples each, after 2 untimed rounds.");
        }
        finally
        {
            foreach (var r in readers)
            {
                r.Dispose();
            }

            foreach (var c in connections)
            {
                c.Dispose();
            }

            SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>Part 4: the EF Core web pattern, a DbContext per query (AddDbContext) or a pooled one (AddDbContextPool).</summary>
    private static void EfCore(BenchContext context, int l)
    {
        var data = context.Data;
        var k = context.K;
        if (data.Metric != Metric.Cosine)
        {
            Report.Line("pool (EF Core part): skipped (the model uses cosine; run it on debian-minilm).");
            return;
        }

        PoolDb.Dimension = data.Dimension;
        PoolDb.SearchListSize = l;
        var path = context.NewDatabasePath("pool-efcore");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true }.ToString();
        var options = new DbContextOptionsBuilder<PoolDb>().UseSqlite(connectionString, o => o.UseDiskAnn()).Options;
        string indexTable;
        string docsTable;
        var sw = Stopwatch.StartNew();
        using (var db = new PoolDb(options))
        {
            db.Database.EnsureCreated();
            db.Database.OpenConnection();
            var connection = (SqliteConnection)db.Database.GetDbConnection();
            SqlIndex.Exec(connection, "PRAGMA journal_mode=WAL");
            indexTable = (string)SqlIndex.Scalar(connection, "SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%USING diskann%'")!;
            docsTable = db.Model.FindEntityType(typeof(PoolDoc))!.GetTableName()!;
            var titles = Titles(context.Options);
            using var transaction = connection.BeginTransaction();
            using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = $"INSERT INTO \"{docsTable}\"(\"Id\", \"Title\", \"Embedding\") VALUES ($id, $t, $v)";
            var id = insert.Parameters.Add("$id", SqliteType.Integer);
            var title = insert.Parameters.Add("$t", SqliteType.Text);
            var blob = new byte[data.Dimension * sizeof(float)];
            insert.Parameters.Add("$v", SqliteType.Blob).Value = blob;
            insert.Prepare();
            for (var i = 0; i < data.BaseCount; i++)
            {
                MemoryMarshal.AsBytes(data.Base(i)).CopyTo(blob);
                id.Value = (long)i + 1;
                title.Value = i < titles.Length ? titles[i] : $"doc {i + 1}";
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
            SqlIndex.Exec(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
        }

        Report.Progress($"pool: EF Core table of {data.BaseCount:N0} rows loaded in {sw.Elapsed.TotalSeconds:0.0} s");
        var queries = Enumerable.Range(0, data.QueryCount).Select(q => data.Query(q).ToArray()).ToArray();
        var factory = new Microsoft.EntityFrameworkCore.Infrastructure.PooledDbContextFactory<PoolDb>(options);

        using var open = new SqliteConnection(connectionString);
        open.Open();
        open.LoadDiskAnn();
        using var raw = new KnnQuery(
            open,
            $"SELECT n.rowid, d.\"Title\", n.distance FROM \"{indexTable}\" AS n JOIN \"{docsTable}\" AS d ON d.\"Id\" = n.rowid "
            + $"WHERE n.vector MATCH $q AND n.k = {k} ORDER BY n.distance");
        raw.Prepare();

        var checksum = 0L;
        void Knn(PoolDb db, int q)
        {
            var vector = queries[q];
            var hits = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(k).Select(d => new { d.Id, d.Title }).ToList();
            checksum += hits.Count;
        }

        void Lookup(PoolDb db, int q)
        {
            var key = ((long)q * 7919 % data.BaseCount) + 1;
            var doc = db.Docs.FirstOrDefault(d => d.Id == key);
            checksum += doc is null ? 0 : 1;
        }

        void Rows(PoolDb db, int q)
        {
            var from = (long)q * 7919 % Math.Max(1, data.BaseCount - k);
            var rows = db.Docs.Where(d => d.Id > from).OrderBy(d => d.Id).Take(k).Select(d => new { d.Id, d.Title }).ToList();
            checksum += rows.Count;
        }

        // The same k-row shape without the index, in SQL: what SQLite itself spends on the rows EF Core reads.
        using var rawRows = open.CreateCommand();
        rawRows.CommandText = $"SELECT \"Id\", \"Title\" FROM \"{docsTable}\" WHERE \"Id\" > $from ORDER BY \"Id\" LIMIT {k}";
        var rawFrom = rawRows.Parameters.Add("$from", SqliteType.Integer);
        rawRows.Prepare();
        int RawRows(int q)
        {
            rawFrom.Value = (long)q * 7919 % Math.Max(1, data.BaseCount - k);
            var n = 0;
            using var reader = rawRows.ExecuteReader();
            while (reader.Read())
            {
                n += reader.GetString(1).Length > 0 ? 1 : 0;
            }

            return n;
        }

        var found = new int[k];
        Action<int> RawKnnThen(Func<PoolDb> newContext, Action<PoolDb, int> query) => q =>
        {
            checksum += raw.Run(data.QueryBlobs[q], found);
            using var db = newContext();
            query(db, q);
        };

        var variants = new (string Name, Action<int> Run)[]
        {
            ("new DbContext, KNN", q =>
            {
                using var db = new PoolDb(options);
                Knn(db, q);
            }),
            ("new DbContext, PK", q =>
            {
                using var db = new PoolDb(options);
                Lookup(db, q);
            }),
            ("pooled DbContext, KNN", q =>
            {
                using var db = factory.CreateDbContext();
                Knn(db, q);
            }),
            ("pooled DbContext, PK", q =>
            {
                using var db = factory.CreateDbContext();
                Lookup(db, q);
            }),
            ("raw KNN", q => checksum += raw.Run(data.QueryBlobs[q], found)),
            ("new DbContext, k rows", q =>
            {
                using var db = new PoolDb(options);
                Rows(db, q);
            }),
            ("pooled DbContext, k rows", q =>
            {
                using var db = factory.CreateDbContext();
                Rows(db, q);
            }),
            ("raw k rows", q => checksum += RawRows(q)),

            // EF Core's own queries right after the raw KNN, in one loop: what the two cost together. A search walks
            // through memory that EF Core's per-context objects then miss in cache, so the sum of the two measured
            // apart understates what they cost one after the other (most with a new DbContext, which touches most).
            ("new DbContext, raw KNN then PK", RawKnnThen(() => new PoolDb(options), Lookup)),
            ("pooled DbContext, raw KNN then PK", RawKnnThen(factory.CreateDbContext, Lookup)),
            ("new DbContext, raw KNN then k rows", RawKnnThen(() => new PoolDb(options), Rows)),
            ("pooled DbContext, raw KNN then k rows", RawKnnThen(factory.CreateDbContext, Rows)),
        };

        // Two untimed rounds first (JIT tiering, EF's query cache, the image of the pooled connection EF uses), then
        // interleaved rounds, each variant over every query once; each variant reports its median round.
        var rounds = Math.Max(5, QueryRun.Repeat);
        var results = variants.Select(_ => new List<double>()).ToArray();
        for (var round = -2; round < rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                var start = Stopwatch.GetTimestamp();
                for (var q = 0; q < data.QueryCount; q++)
                {
                    variants[v].Run(q);
                }

                var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds / data.QueryCount;
                if (round >= 0)
                {
                    results[v].Add(ms);
                }
            }

            if (round >= 0)
            {
                Report.Progress($"pool: EF Core round {round + 1}/{rounds}: " + string.Join(", ", variants.Select((v, i) => $"{v.Name} {results[i][^1]:0.000} ms")));
            }
        }

        var m = results.Select(Median).ToArray();
        var rawMs = m[4];
        Report.Heading($"`pool` — EF Core per request, {data.Name}, search_list_size = {l} (the model's), k = {k}, {data.QueryCount:N0} queries one at a time, median of {rounds} interleaved rounds");
        var rawRowsMs = m[7];
        Report.Table(new MarkdownTable("DbContext per query", "KNN LINQ ms", "PK lookup ms", "raw SQL KNN ms", "plugin's share, parts measured apart, ms", "raw KNN then PK lookup, one loop, ms", "plugin's share against it, ms", "k-row LINQ query ms", "raw SQL k rows ms", "share beside the k-row query, apart, ms", "raw KNN then k-row query, one loop, ms", "share against it, ms", "target")
            .Add("new DbContext per query (`AddDbContext`)", m[0], m[1], rawMs, m[0] - m[1] - rawMs, m[8], m[0] - m[8], m[5], rawRowsMs, m[0] - rawMs - (m[5] - rawRowsMs), m[10], m[0] - m[10], "share <= 0.05 ms")
            .Add("pooled DbContext (`PooledDbContextFactory`, `AddDbContextPool`)", m[2], m[3], rawMs, m[2] - m[3] - rawMs, m[9], m[2] - m[9], m[6], rawRowsMs, m[2] - rawMs - (m[6] - rawRowsMs), m[11], m[2] - m[11], "share <= 0.05 ms"));
        Report.Line(
            "Connection string `Pooling=True`; EF Core opens and closes the connection for each query. *KNN LINQ* = one "
            + $"`db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, q)).Take({k}).Select(d => new {{ d.Id, d.Title }}).ToList()` on a context "
            + "made for it and disposed after it (*new*: `new PoolDb(options)`; *pooled*: `factory.CreateDbContext()`); *PK lookup* = "
            + "`db.Docs.FirstOrDefault(d => d.Id == x)` (tracked, the whole entity with its vector) in the same setup: EF Core's own cost of a query; "
            + "*raw SQL KNN* = the same KNN with the titles (`SELECT n.rowid, d.Title, n.distance FROM ix n JOIN Docs d ON d.Id = n.rowid WHERE n.vector MATCH $q "
            + $"AND n.k = {k} ORDER BY n.distance`), prepared once, on a connection kept open; *plugin's share* = KNN LINQ - PK lookup - raw SQL KNN (roughly "
            + $"what the plugin adds over EF Core and the module; it counts the PK lookup's own SQLite work twice, a few microseconds). "
            + $"The PK lookup reads one row, the KNN {k}: EF Core's cost of a query of the KNN's shape is the *k-row LINQ query* "
            + $"(`db.Docs.Where(d => d.Id > x).OrderBy(d => d.Id).Take({k}).Select(d => new {{ d.Id, d.Title }}).ToList()`, same setup) less its own SQL "
            + "(*raw SQL k rows*, prepared once, on the open connection); *share beside the k-row query* = KNN LINQ - raw SQL KNN - (k-row LINQ query - raw SQL k rows). "
            + "*raw KNN then PK lookup / k-row query, one loop*: the raw SQL KNN and then EF Core's query on a context made for it, one after the other for each "
            + "query (what the module and EF Core cost together: the search leaves EF Core's per-context objects out of cache, which parts measured apart do not "
            + "see); *share against it* = KNN LINQ - that: what the plugin's LINQ path adds over the same work done by hand. "
            + $"Checksum {checksum % 997}.");
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static MemorySample Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var gc = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return new MemorySample(gc / 1e6, process.WorkingSet64 / 1e6, process.PrivateMemorySize64 / 1e6);
    }

    private static (int Count, long Bytes) Images(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        // Distinct images: connections that share one show the same image id (each row reports the image's whole size).
        command.CommandText = $"SELECT count(*), total(bytes) FROM (SELECT image, max(memory_bytes) AS bytes FROM diskann_status WHERE loaded AND name = '{Table}' GROUP BY image)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), (long)reader.GetDouble(1));
    }

    private static double Timed(Action action)
    {
        var start = Stopwatch.GetTimestamp();
        action();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The package names of debian-minilm (texts.tsv beside the vectors), in vector order; none for other data.</summary>
    private static string[] Titles(Options options)
    {
        if (options.Synthetic is not null)
        {
            return [];
        }

        var texts = Path.Combine(Path.GetDirectoryName(options.ResolveDataPath()) ?? ".", "texts.tsv");
        return File.Exists(texts)
            ? [.. File.ReadLines(texts).Select(line => line.Split('\t') is [_, var name, ..] ? name : line)]
            : [];
    }

    /// <summary>New rowids for every row the benchmark inserts, above the base set's.</summary>
    private sealed class RowIds(long first)
    {
        private long _next = first;

        public long Next() => Interlocked.Increment(ref _next);
    }

    /// <summary>One-row autocommit inserts into the index on one connection: a new rowid, a base vector (copied).</summary>
    private sealed class RowWriter : IDisposable
    {
        private readonly Dataset _data;
        private readonly RowIds _rowIds;
        private readonly SqliteCommand _insert;
        private readonly SqliteParameter _id;
        private readonly byte[] _blob;
        private int _source;

        public RowWriter(SqliteConnection connection, Dataset data, RowIds rowIds)
        {
            _data = data;
            _rowIds = rowIds;
            _insert = connection.CreateCommand();
            _insert.CommandText = $"INSERT INTO {Table}(rowid, vector) VALUES ($id, $v)";
            _id = _insert.Parameters.Add("$id", SqliteType.Integer);
            _blob = new byte[data.Dimension * sizeof(float)];
            _insert.Parameters.Add("$v", SqliteType.Blob).Value = _blob;
            _insert.Prepare();
        }

        /// <summary>Inserts one row in its own transaction; returns the milliseconds it took.</summary>
        public double InsertOne()
        {
            MemoryMarshal.AsBytes(_data.Base(_source++ * 101 % _data.BaseCount)).CopyTo(_blob);
            _id.Value = _rowIds.Next();
            var start = Stopwatch.GetTimestamp();
            _insert.ExecuteNonQuery();
            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }

        public void Dispose() => _insert.Dispose();
    }
}
