using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>
/// Entities keyed by Guid, string, short and converted ids: every write (EF Core, bulk, raw SQL with REPLACE) is followed by
/// KNN queries whose answers are checked against an exact computation over the plain table, not against the index.
/// </summary>
public sealed class EfKeysTests : IDisposable
{
    private const int Rows = 80;
    private const int K = 10;

    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();

    public void Dispose() => _database.Dispose();

    private KeysContext Create()
    {
        var db = new KeysContext(_database.ConnectionString, _sql);
        db.Database.EnsureCreated();
        return db;
    }

    private static float[] Vector(Random random)
        => [.. Enumerable.Range(0, KeysContext.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    private static string Json(float[] vector) => "[" + string.Join(", ", vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";

    private static string Table<T>(DbContext db) => db.Model.FindEntityType(typeof(T))!.GetTableName()!;

    private static string Index<T>(DbContext db)
        => db.Model.FindEntityType(typeof(T))!.GetIndexes().Single(i => i.IsDiskAnnIndex()).GetDatabaseName()!;

    internal static long Count(DbContext db, string table)
    {
        // The table names are the model's, never user input.
#pragma warning disable EF1002
        return db.Database.SqlQueryRaw<long>($"SELECT count(*) AS \"Value\" FROM \"{table}\"").AsEnumerable().Single();
#pragma warning restore EF1002
    }

    private static void Exec(DbContext db, string sql)
    {
#pragma warning disable EF1003
        db.Database.ExecuteSqlRaw(sql);
#pragma warning restore EF1003
    }

    /// <summary>
    /// The KNN answers (whole entities, projections, with a Where) are the exact nearest rows computed from the table, and
    /// the index (and its key map, if any) hold exactly the rows with a vector.
    /// </summary>
    private void AssertKnn<T>(KeysContext db, string step, int seed = 11)
        where T : class, IKeyedDoc
    {
        db.ChangeTracker.Clear();
        var rows = db.Set<T>().AsNoTracking().Where(d => d.Embedding != null).Select(d => new { d.Title, d.Embedding }).ToList();
        var random = new Random(seed);
        for (var q = 0; q < 5; q++)
        {
            var query = Vector(random);

            // Distances, not titles: rows given the same vector tie, and may come in any order. A row reached by the wrong
            // key would bring its own vector, and another distance.
            var expected = rows.Select(r => DocsData.L2(r.Embedding!, query)).Order().Take(K).ToList();
            _sql.Clear();
            var entities = db.Set<T>().AsNoTracking().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(K).ToList();
            Assert.Contains("vector MATCH", _sql.Last);
            AssertDistances(expected, entities.Select(e => DocsData.L2(e.Embedding!, query)), $"{typeof(T).Name} {step}");

            var expectedFiltered = rows.Where(r => r.Title.Contains('1', StringComparison.Ordinal))
                .Select(r => DocsData.L2(r.Embedding!, query)).Order().Take(K).ToList();
            var filtered = db.Set<T>().Where(d => d.Title.Contains("1"))
                .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(K).Select(d => new { d.Title, d.Embedding }).ToList();
            Assert.Contains("rowid IN (", _sql.Last);
            Assert.All(filtered, f => Assert.Contains('1', f.Title));
            AssertDistances(expectedFiltered, filtered.Select(f => DocsData.L2(f.Embedding!, query)), $"{typeof(T).Name} {step} (filtered)");
        }

        var index = Index<T>(db);
        Assert.Equal(rows.Count, Count(db, index));
        if (typeof(T) != typeof(ShortDoc) && typeof(T) != typeof(SkuDoc))
        {
            Assert.Equal(rows.Count, Count(db, index + "_keys"));
        }
    }

    private static void AssertDistances(List<double> expected, IEnumerable<double> actual, string what)
    {
        var got = actual.ToList();
        Assert.True(
            expected.Count == got.Count && expected.Zip(got).All(p => Math.Abs(p.First - p.Second) < 1e-5),
            $"{what}: expected distances {string.Join(", ", expected.Select(d => d.ToString("F5", CultureInfo.InvariantCulture)))}; got {string.Join(", ", got.Select(d => d.ToString("F5", CultureInfo.InvariantCulture)))}");
    }

    /// <summary>
    /// Add, Update, Remove, ExecuteUpdate (a vector, NULL), ExecuteDelete, then raw SQL: REPLACE through the key, REPLACE
    /// through the unique slug (which deletes another row), REPLACE of a new row, and a key change; KNN checked after each.
    /// </summary>
    private void Writes<T>(Func<int, T> create, Func<int, string> keyLiteral)
        where T : class, IKeyedDoc
    {
        using var db = Create();
        var random = new Random(3);
        var set = db.Set<T>();
        set.AddRange(Enumerable.Range(1, Rows).Select(i =>
        {
            var doc = create(i);
            doc.Title = "doc " + i;
            doc.Slug = "slug " + i;
            doc.Embedding = i % 10 == 0 ? null : Vector(random);
            return doc;
        }));
        db.SaveChanges();
        AssertKnn<T>(db, "after Add");

        foreach (var doc in set.Where(d => d.Title.EndsWith("1")).ToList())
        {
            doc.Embedding = Vector(random);
        }

        foreach (var doc in set.Where(d => d.Title == "doc 20" || d.Title == "doc 30").ToList())
        {
            doc.Embedding = Vector(random);
        }

        db.SaveChanges();
        AssertKnn<T>(db, "after Update");

        set.RemoveRange(set.Where(d => d.Title.EndsWith("2")).ToList());
        db.SaveChanges();
        AssertKnn<T>(db, "after Remove");

        var moved = Vector(random);
        Assert.Equal(8, set.Where(d => d.Title.EndsWith("3")).ExecuteUpdate(s => s.SetProperty(d => d.Embedding, moved)));
        Assert.Equal(8, set.Where(d => d.Title.EndsWith("4")).ExecuteUpdate(s => s.SetProperty(d => d.Embedding, (float[]?)null)));
        Assert.Equal(8, set.Where(d => d.Title.EndsWith("5")).ExecuteDelete());
        AssertKnn<T>(db, "after ExecuteUpdate/ExecuteDelete");

        var table = Table<T>(db);
        Exec(db, $"""INSERT OR REPLACE INTO "{table}" ("Id", "Title", "Slug", "Embedding") SELECT "Id", 'replaced 6', "Slug", vector_from_json('{Json(Vector(random))}') FROM "{table}" WHERE "Title" = 'doc 6'""");
        Exec(db, $"""INSERT OR REPLACE INTO "{table}" ("Id", "Title", "Slug", "Embedding") SELECT "Id", "Title", 'slug 8', "Embedding" FROM "{table}" WHERE "Title" = 'doc 9'""");
        Exec(db, $"""REPLACE INTO "{table}" ("Id", "Title", "Slug", "Embedding") VALUES ({keyLiteral(1000)}, 'raw 1000', 'slug 1000', vector_from_json('{Json(Vector(random))}'))""");
        Exec(db, $"""UPDATE "{table}" SET "Id" = {keyLiteral(2000)} WHERE "Title" = 'doc 7'""");
        Assert.Null(set.AsNoTracking().SingleOrDefault(d => d.Title == "doc 8"));
        AssertKnn<T>(db, "after raw SQL REPLACE");

        // An UPSERT through the slug gives doc 10 (no vector so far) one; an UPDATE OR REPLACE of doc 16's slug deletes doc 11.
        Exec(db, $"""INSERT INTO "{table}" ("Id", "Title", "Slug", "Embedding") VALUES ({keyLiteral(3000)}, 'upsert', 'slug 10', vector_from_json('{Json(Vector(random))}')) ON CONFLICT ("Slug") DO UPDATE SET "Embedding" = excluded."Embedding", "Title" = 'upserted 10'""");
        Exec(db, $"""UPDATE OR REPLACE "{table}" SET "Slug" = 'slug 11' WHERE "Title" = 'doc 16'""");
        Assert.NotNull(set.AsNoTracking().Single(d => d.Title == "upserted 10").Embedding);
        Assert.Null(set.AsNoTracking().SingleOrDefault(d => d.Title == "doc 11"));
        AssertKnn<T>(db, "after UPSERT and UPDATE OR REPLACE");
    }

    private static string GuidLiteral(int i) => $"'{new Guid(i, 0, 0, new byte[8]).ToString().ToUpperInvariant()}'";

    [Fact]
    public void Guid_keys_follow_every_write()
        => Writes(_ => new GuidDoc(), GuidLiteral);

    [Fact]
    public void String_keys_follow_every_write()
        => Writes(i => new StringDoc { Id = "key-" + i }, i => $"'key-{i}'");

    [Fact]
    public void Short_keys_follow_every_write()
        => Writes(i => new ShortDoc { Id = (short)i }, i => i.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Ids_converted_to_long_follow_every_write()
        => Writes(i => new SkuDoc { Id = new SkuId(i * 7L) }, i => (i * 7L).ToString(CultureInfo.InvariantCulture));

    [Fact]
    public void Ids_converted_to_Guid_follow_every_write()
        => Writes(i => new TicketDoc { Id = new TicketId(new Guid(i, 0, 0, new byte[8])) }, GuidLiteral);

    [Fact]
    public void Ids_converted_to_string_follow_every_write()
        => Writes(i => new HandleDoc { Id = new Handle("h" + i) }, i => $"'h{i}'");

    [Fact]
    public void A_Guid_key_projection_reads_the_search_alone_and_returns_the_keys()
    {
        using var db = Create();
        var random = new Random(5);
        var docs = Enumerable.Range(1, Rows).Select(i => new GuidDoc { Title = "doc " + i, Slug = "s" + i, Embedding = Vector(random) }).ToList();
        db.AddRange(docs);
        db.SaveChanges();

        var query = Vector(random);
        var expected = docs.OrderBy(d => DocsData.L2(d.Embedding!, query)).Take(K).Select(d => d.Id).ToList();
        _sql.Clear();
        var keys = db.Set<GuidDoc>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(K).Select(d => d.Id).ToList();
        Assert.Equal(expected, keys);
        Assert.DoesNotContain("CROSS JOIN", _sql.Last);

        var tickets = Enumerable.Range(1, Rows).Select(i => new TicketDoc { Id = new TicketId(Guid.NewGuid()), Title = "t" + i, Slug = "s" + i, Embedding = Vector(random) }).ToList();
        db.AddRange(tickets);
        db.SaveChanges();
        var expectedTickets = tickets.OrderBy(d => DocsData.L2(d.Embedding!, query)).Take(K).Select(d => d.Id).ToList();
        var ticketKeys = db.Set<TicketDoc>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(K).Select(d => new { d.Id, Distance = EF.Functions.VectorDistance(d.Embedding, query) }).ToList();
        Assert.Equal(expectedTickets, ticketKeys.Select(t => t.Id));
        Assert.Equal(DocsData.L2(tickets.Single(t => t.Id == expectedTickets[0]).Embedding!, query), ticketKeys[0].Distance, 4);
    }

    [Fact]
    public void A_distance_threshold_on_a_string_key_is_answered_inside_the_search()
    {
        using var db = Create();
        var random = new Random(13);
        var docs = Enumerable.Range(1, Rows).Select(i => new StringDoc { Id = "s" + i, Title = "doc " + i, Slug = "s" + i, Embedding = Vector(random) }).ToList();
        db.AddRange(docs);
        db.SaveChanges();

        var query = Vector(random);
        var threshold = docs.Select(d => DocsData.L2(d.Embedding!, query)).Order().ElementAt(6);
        var expected = docs.Where(d => DocsData.L2(d.Embedding!, query) < threshold)
            .OrderBy(d => DocsData.L2(d.Embedding!, query)).Select(d => d.Id).ToList();
        _sql.Clear();
        var found = db.Set<StringDoc>()
            .Where(d => EF.Functions.VectorDistance(d.Embedding, query) < threshold)
            .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query))
            .Take(K)
            .Select(d => d.Id)
            .ToList();
        Assert.Contains("AND distance < @", _sql.Last);
        Assert.Equal(6, found.Count);
        Assert.Equal(expected, found);
    }

    [Fact]
    public void The_index_keeps_finding_every_row_after_VACUUM_and_renumbered_rowids()
    {
        using var db = Create();
        var random = new Random(9);
        db.AddRange(Enumerable.Range(1, 300).Select(i => new GuidDoc { Title = "doc " + i, Slug = "s" + i, Embedding = Vector(random) }));
        db.AddRange(Enumerable.Range(1, 300).Select(i => new StringDoc { Id = "k" + i, Title = "doc " + i, Slug = "s" + i, Embedding = Vector(random) }));
        db.SaveChanges();

        // Gaps in the rowids, then VACUUM: SQLite documents that it may renumber the rowids of a table without an
        // INTEGER PRIMARY KEY (whether this build does depends on its version and the table).
        db.Set<GuidDoc>().Where(d => d.Title.EndsWith("1") || d.Title.EndsWith("4")).ExecuteDelete();
        db.Set<StringDoc>().Where(d => d.Title.EndsWith("2") || d.Title.EndsWith("7")).ExecuteDelete();
        db.Database.CloseConnection();
        Exec(db, "VACUUM");
        AssertEveryRowFindsItself<GuidDoc>(db);
        AssertEveryRowFindsItself<StringDoc>(db);
        AssertKnn<GuidDoc>(db, "after VACUUM");
        AssertKnn<StringDoc>(db, "after VACUUM");

        // What a renumbering VACUUM does, done by hand: every row gets another rowid. The index does not notice.
        Exec(db, "UPDATE \"GuidDoc\" SET rowid = rowid + 100000");
        Exec(db, "UPDATE \"StringDoc\" SET rowid = 1000000 - rowid");
        AssertEveryRowFindsItself<GuidDoc>(db);
        AssertEveryRowFindsItself<StringDoc>(db);
        AssertKnn<GuidDoc>(db, "after renumbering");
        AssertKnn<StringDoc>(db, "after renumbering");

        // Writes keep working on the renumbered table.
        var added = new GuidDoc { Title = "added", Slug = "added", Embedding = [9, 9, 9, 9] };
        db.Add(added);
        db.SaveChanges();
        var nearest = db.Set<GuidDoc>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, new float[] { 9, 9, 9, 9 })).Take(1).Single();
        Assert.Equal(added.Id, nearest.Id);
    }

    /// <summary>Each row's own vector finds that row first (the index reaches every row, by the right key).</summary>
    private static void AssertEveryRowFindsItself<T>(KeysContext db)
        where T : class, IKeyedDoc
    {
        db.ChangeTracker.Clear();
        var rows = db.Set<T>().AsNoTracking().Select(d => new { d.Title, d.Embedding }).ToList();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var vector = row.Embedding!;
            var found = db.Set<T>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(1).Select(d => d.Title).Single();
            Assert.Equal(row.Title, found);
        }
    }
}
