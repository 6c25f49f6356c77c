using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace FunctionalTests.EFCore;

/// <summary>
/// Migrations of included properties and partition keys: adding, changing or removing them rebuilds the index (filled
/// again from the table, columns included); a table rebuild or a trigger-only change keeps the triggers writing them.
/// </summary>
public sealed class EfFilterColumnMigrationTests : IDisposable
{
    private readonly EfTestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    private static List<int> Nearest(ArticlesContextBase db, float[] vector, string category, int k = 10)
        => db.Articles.Where(a => a.Category == category)
            .OrderBy(a => EF.Functions.VectorDistance(a.Embedding, vector)).Take(k).Select(a => a.Id).ToList();

    private static long Count(ArticlesContextBase db, FormattableString sql)
        => db.Database.SqlQuery<long>(sql).AsEnumerable().Single();

    [Fact]
    public void Adding_changing_and_removing_included_properties_rebuilds_the_index_with_its_rows()
    {
        var cs = _database.ConnectionString;
        using var plain = new FilteredArticlesV1(cs);
        using var included = new FilteredArticlesV2(cs);
        using var partitioned = new FilteredArticlesV3(cs);
        using var unique = new FilteredArticlesV4(cs);

        EfMigrationTests.Migrate(plain, null, plain);
        for (var i = 0; i < 30; i++)
        {
            plain.Articles.Add(new Article { Title = "t" + (i % 3), Category = i % 2 == 0 ? "even" : "odd", Embedding = [i, 1, 0] });
        }

        plain.SaveChanges();

        // V1 -> V2: Category is included (and Title altered: a table rebuild in the same migration).
        var operations = included.GetService<IMigrationsModelDiffer>()
            .GetDifferences(plain.GetService<IDesignTimeModel>().Model.GetRelationalModel(), included.GetService<IDesignTimeModel>().Model.GetRelationalModel());
        Assert.Contains(operations, o => o is DropIndexOperation);
        var create = Assert.Single(operations.OfType<CreateIndexOperation>());
        Assert.Equal("\"Category\" TEXT", create[DiskAnnAnnotationNames.FilterColumns]);
        EfMigrationTests.Migrate(included, plain, included);
        Assert.Contains("USING diskann(dimension=3, metric=l2, \"Category\" TEXT)", EfMigrationTests.TableSql(included, "IX_Articles_Embedding"));
        Assert.Equal(15, Count(included, $"SELECT count(*) AS \"Value\" FROM \"IX_Articles_Embedding\" WHERE \"Category\" = 'odd'"));
        var hits = Nearest(included, [7.2f, 1, 0], "odd", 3);
        Assert.Equal([8, 10, 6], hits); // ids are i + 1: the odd ones are the even i (no ties: 0.2, 1.8, 2.2)
        Assert.Contains("\"i\".\"Category\" = @category", Sql(included, [7, 1, 0], "odd"));

        // Only an included property changes, after the table rebuild: the triggers still copy it.
        var moved = included.Articles.Single(a => a.Id == 8);
        moved.Category = "even";
        included.SaveChanges();
        Assert.DoesNotContain(8, Nearest(included, [7, 1, 0], "odd"));
        Assert.Contains(8, Nearest(included, [7, 1, 0], "even"));

        // V2 -> V3: a partition key is added (Title): another rebuild.
        EfMigrationTests.Migrate(partitioned, included, partitioned);
        Assert.Contains("\"Category\" TEXT, \"Title\" TEXT PARTITION KEY)", EfMigrationTests.TableSql(partitioned, "IX_Articles_Embedding"));
        Assert.Equal(10, Count(partitioned, $"SELECT count(*) AS \"Value\" FROM \"IX_Articles_Embedding\" WHERE \"Title\" = 't1'"));
        Assert.Equal(
            partitioned.Articles.AsEnumerable().Where(a => a.Title == "t1" && a.Category == "even").OrderBy(a => DocsData.L2(a.Embedding!, [3, 1, 0])).Select(a => a.Id).Take(4),
            partitioned.Articles.Where(a => a.Title == "t1" && a.Category == "even").OrderBy(a => EF.Functions.VectorDistance(a.Embedding, new float[] { 3, 1, 0 })).Take(4).Select(a => a.Id));

        // V3 -> V4: a unique index on Title: only the triggers change (the index keeps its rows), and they still copy the columns.
        var triggerOnly = unique.GetService<IMigrationsSqlGenerator>().Generate(
            unique.GetService<IMigrationsModelDiffer>().GetDifferences(
                partitioned.GetService<IDesignTimeModel>().Model.GetRelationalModel(), unique.GetService<IDesignTimeModel>().Model.GetRelationalModel()),
            unique.GetService<IDesignTimeModel>().Model);
        Assert.DoesNotContain(triggerOnly, c => c.CommandText.Contains("CREATE VIRTUAL TABLE", StringComparison.Ordinal));
        EfMigrationTests.Migrate(unique, partitioned, unique);
        Assert.Contains("IX_Articles_Embedding_replaced_before_insert", unique.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'trigger'").ToList());
        unique.Database.ExecuteSql($"UPDATE \"Articles\" SET \"Category\" = 'none' WHERE \"Id\" = 10");
        Assert.Equal(1, Count(unique, $"SELECT count(*) AS \"Value\" FROM \"IX_Articles_Embedding\" WHERE \"Category\" = 'none'"));

        // Down to V1: the columns are gone, the rows stay.
        EfMigrationTests.Migrate(plain, unique, plain);
        Assert.Contains("USING diskann(dimension=3, metric=l2)", EfMigrationTests.TableSql(plain, "IX_Articles_Embedding"));
        Assert.Equal(30, Count(plain, $"SELECT count(*) AS \"Value\" FROM \"IX_Articles_Embedding\""));
        Assert.Equal(3, Nearest(plain, [7, 1, 0], "odd", 3).Count);
    }

    private static string Sql(ArticlesContextBase db, float[] vector, string category)
        => db.Articles.Where(a => a.Category == category)
            .OrderBy(a => EF.Functions.VectorDistance(a.Embedding, vector)).Take(3).Select(a => a.Id).ToQueryString();
}

/// <summary>V1: an L2 index on Embedding, nothing included.</summary>
public class FilteredArticlesV1(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
        => modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2);
}

/// <summary>V2: Category included; Title becomes required (SQLite rebuilds the table).</summary>
public class FilteredArticlesV2(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2).IncludeProperties(a => a.Category);
    }
}

/// <summary>V3: Title is the partition key as well.</summary>
public class FilteredArticlesV3(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2)
            .IncludeProperties(a => a.Category).HasPartitionKey(a => a.Title);
    }
}

/// <summary>V4: V3 with a unique index on (Title, Category): the triggers change, the index does not.</summary>
public class FilteredArticlesV4(string connectionString) : ArticlesContextBase(connectionString)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Article>().Property(a => a.Title).IsRequired().HasDefaultValue("");
        modelBuilder.Entity<Article>().HasIndex(a => new { a.Title, a.Category, a.Id }).IsUnique();
        modelBuilder.Entity<Article>().HasDiskAnnIndex(a => a.Embedding, 3).HasMetric(DiskAnnMetric.L2)
            .IncludeProperties(a => a.Category).HasPartitionKey(a => a.Title);
    }
}
