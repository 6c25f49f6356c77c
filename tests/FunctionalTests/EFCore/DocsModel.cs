using DiskAnn;
using Microsoft.EntityFrameworkCore;

namespace FunctionalTests.EFCore;

public class Doc
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public string Category { get; set; } = "";
    public float[] Embedding { get; set; } = [];
    public float[]? Extra { get; set; }
    public int? AuthorId { get; set; }
    public Author? Author { get; set; }
    public List<Tag> Tags { get; set; } = [];
}

public class Tag
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    public int DocId { get; set; }
}

public class Author
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
}

public class Snippet
{
    public int Id { get; set; }
    public ReadOnlyMemory<float> Vector { get; set; }
}

public class Note
{
    public int Id { get; set; }
    public float[]? Vector { get; set; }
}

/// <summary>Docs indexed by L2 (4 dimensions), snippets (ReadOnlyMemory) by cosine, notes with nullable vectors by dot.</summary>
public class DocsContext(DbContextOptions<DocsContext> options) : DbContext(options)
{
    public const int Dimension = 4;

    public DbSet<Doc> Docs => Set<Doc>();
    public DbSet<Tag> Tags => Set<Tag>();
    public DbSet<Author> Authors => Set<Author>();
    public DbSet<Snippet> Snippets => Set<Snippet>();
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Doc>().HasDiskAnnIndex(d => d.Embedding, Dimension)
            .HasMetric(DiskAnnMetric.L2)
            .HasSearchListSize(100);
        modelBuilder.Entity<Snippet>().HasDiskAnnIndex(s => s.Vector, Dimension).HasSearchListSize(100);
        modelBuilder.Entity<Note>().HasDiskAnnIndex(n => n.Vector, Dimension).HasMetric(DiskAnnMetric.Dot);
    }

    public static DbContextOptions<DocsContext> Options(string connectionString, SqlCapture? capture = null)
        => EfTestDatabase.Options<DocsContext>(connectionString, capture);
}

public static class DocsData
{
    public const int Count = 60;

    public static readonly string[] Categories = ["a", "b", "c"];

    public static float[] Vector(Random random)
        => [.. Enumerable.Range(0, DocsContext.Dimension).Select(_ => (float)(random.NextDouble() * 2 - 1))];

    /// <summary>Creates the schema with EnsureCreated and adds 60 docs (3 authors, 2 tags each).</summary>
    public static void Seed(DocsContext db)
    {
        db.Database.EnsureCreated();
        var random = new Random(42);
        var authors = Enumerable.Range(1, 3).Select(i => new Author { Name = "author " + i }).ToList();
        db.Authors.AddRange(authors);
        for (var i = 1; i <= Count; i++)
        {
            db.Docs.Add(new Doc
            {
                Title = "doc " + i,
                Category = Categories[i % 3],
                Embedding = Vector(random),
                Extra = Vector(random),
                Author = authors[i % 3],
                Tags = [new Tag { Name = "t" + i + "a" }, new Tag { Name = "t" + i + "b" }],
            });
        }

        db.SaveChanges();
    }

    /// <summary>Adds 30 notes, every third without a vector.</summary>
    public static void SeedNotes(DocsContext db)
    {
        var random = new Random(5);
        for (var i = 1; i <= 30; i++)
        {
            db.Notes.Add(new Note { Vector = i % 3 == 0 ? null : Vector(random) });
        }

        db.SaveChanges();
    }

    public static double L2(float[] a, float[] b)
        => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return 1 - (dot / (Math.Sqrt(na) * Math.Sqrt(nb)));
    }
}
