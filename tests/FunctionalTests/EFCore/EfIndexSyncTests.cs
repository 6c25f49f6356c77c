using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

/// <summary>Every way rows change (EF Core writes, bulk operations, raw SQL, rollback) is reflected in the index.</summary>
public sealed class EfIndexSyncTests : IDisposable
{
    private static readonly float[] Far = [5f, 5f, 5f, 5f];
    private static readonly float[] Opposite = [-5f, -5f, -5f, -5f];

    private readonly EfTestDatabase _database = new();

    public EfIndexSyncTests()
    {
        using var db = CreateContext();
        DocsData.Seed(db);
    }

    public void Dispose() => _database.Dispose();

    private DocsContext CreateContext() => new(DocsContext.Options(_database.ConnectionString));

    private static long IndexCount(DocsContext db, string index = "IX_Docs_Embedding")
    {
        // The index name is a constant of the test, never user input.
#pragma warning disable EF1003
        return db.Database.SqlQueryRaw<long>("SELECT count(*) AS \"Value\" FROM \"" + index + "\"").AsEnumerable().Single();
#pragma warning restore EF1003
    }

    private static int Nearest(DocsContext db, float[] vector)
        => db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, vector)).Take(1).Select(d => d.Id).Single();

    [Fact]
    public void Add_Update_Remove_through_EF_are_reflected()
    {
        using var db = CreateContext();
        Assert.Equal(DocsData.Count, IndexCount(db));

        var doc = new Doc { Title = "far", Category = "a", Embedding = Far };
        db.Docs.Add(doc);
        db.SaveChanges();
        Assert.Equal(DocsData.Count + 1, IndexCount(db));
        Assert.Equal(doc.Id, Nearest(db, Far));

        doc.Embedding = Opposite;
        db.SaveChanges();
        Assert.Equal(DocsData.Count + 1, IndexCount(db));
        Assert.Equal(doc.Id, Nearest(db, Opposite));
        Assert.NotEqual(doc.Id, Nearest(db, Far));

        // Changing another column leaves the index alone; mutating the array in place is detected too.
        doc.Title = "renamed";
        db.SaveChanges();
        doc.Embedding[0] = 6f;
        db.SaveChanges();
        Assert.Equal(doc.Id, Nearest(db, [6f, -5f, -5f, -5f]));

        db.Docs.Remove(doc);
        db.SaveChanges();
        Assert.Equal(DocsData.Count, IndexCount(db));
        Assert.NotEqual(doc.Id, Nearest(db, Opposite));
    }

    [Fact]
    public void ExecuteUpdate_and_ExecuteDelete_are_reflected()
    {
        using var db = CreateContext();
        var target = db.Docs.OrderBy(d => d.Id).Select(d => d.Id).First();
        db.Docs.Where(d => d.Id == target).ExecuteUpdate(s => s.SetProperty(d => d.Embedding, Far));
        Assert.Equal(target, Nearest(db, Far));

        var deleted = db.Docs.Where(d => d.Category == "c").ExecuteDelete();
        Assert.Equal(20, deleted);
        Assert.Equal(DocsData.Count - 20, IndexCount(db));
        var query = new[] { 0.1f, 0.1f, 0.1f, 0.1f };
        var hits = db.Docs.OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(40).ToList();
        Assert.Equal(40, hits.Count);
        Assert.DoesNotContain(hits, h => h.Category == "c");
    }

    [Fact]
    public void Raw_SQL_writes_are_reflected()
    {
        using var db = CreateContext();
        db.Database.ExecuteSqlRaw("INSERT INTO \"Docs\" (\"Title\", \"Category\", \"Embedding\") VALUES ('raw', 'a', vector_from_json('[7, 7, 7, 7]'))");
        var raw = db.Docs.Single(d => d.Title == "raw");
        Assert.Equal(raw.Id, Nearest(db, [7f, 7f, 7f, 7f]));

        db.Database.ExecuteSqlRaw("UPDATE \"Docs\" SET \"Embedding\" = vector_from_json('[-7, -7, -7, -7]') WHERE \"Title\" = 'raw'");
        Assert.Equal(raw.Id, Nearest(db, [-7f, -7f, -7f, -7f]));

        // A key change moves the row in the index too.
        db.Database.ExecuteSql($"UPDATE \"Docs\" SET \"Id\" = 1000 WHERE \"Id\" = {raw.Id}");
        Assert.Equal(1000, Nearest(db, [-7f, -7f, -7f, -7f]));

        db.Database.ExecuteSqlRaw("DELETE FROM \"Docs\" WHERE \"Id\" = 1000");
        Assert.Equal(DocsData.Count, IndexCount(db));
    }

    [Fact]
    public void A_rolled_back_transaction_leaves_the_index_as_it_was()
    {
        using var db = CreateContext();
        using (var transaction = db.Database.BeginTransaction())
        {
            db.Docs.Add(new Doc { Title = "temp", Embedding = Far });
            db.SaveChanges();
            Assert.Equal(DocsData.Count + 1, IndexCount(db));
            transaction.Rollback();
        }

        Assert.Equal(DocsData.Count, IndexCount(db));
        Assert.DoesNotContain(db.Docs.AsNoTracking(), d => d.Title == "temp");
        Assert.True(Nearest(db, Far) <= DocsData.Count);
    }

    [Fact]
    public void Null_vectors_are_left_out_of_the_index()
    {
        using var db = CreateContext();
        var note = new Note { Vector = null };
        db.Notes.Add(note);
        db.SaveChanges();
        Assert.Equal(0, IndexCount(db, "IX_Notes_Vector"));

        note.Vector = [1f, 0f, 0f, 0f];
        db.SaveChanges();
        Assert.Equal(1, IndexCount(db, "IX_Notes_Vector"));
        var query = new[] { 1f, 0f, 0f, 0f };
        var hit = db.Notes.OrderBy(n => EF.Functions.VectorDistance(n.Vector, query)).Take(1).Single();
        Assert.Equal(note.Id, hit.Id);

        note.Vector = null;
        db.SaveChanges();
        Assert.Equal(0, IndexCount(db, "IX_Notes_Vector"));
        Assert.Empty(db.Notes.OrderBy(n => EF.Functions.VectorDistance(n.Vector, query)).Take(1).ToList());
    }
}
