using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.DiskAnn.Tests.EFCore;

/// <summary>Generated SQL, without opening a connection: queries (ToQueryString), the create script, hand-written operations.</summary>
public class DiskAnnSqlGenerationTests
{
    private static string Normalize(string sql)
        => string.Join("\n", sql.Replace("\r\n", "\n").Trim().Split('\n').Select(l => l.TrimEnd()));

    [Fact]
    public void KNN_query_SQL()
    {
        using var db = new PagesContext();
        var query = new float[8];
        var sql = db.Pages
            .Where(p => p.Title.StartsWith("a"))
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(10)
            .Select(p => p.Title)
            .ToQueryString();

        Assert.Equal(
            Normalize(
                """
                .param set @query X'0000000000000000000000000000000000000000000000000000000000000000'
                .param set @p 10

                SELECT "p"."Title"
                FROM (
                    SELECT rowid AS "key", distance
                    FROM "IX_Pages_Embedding"
                    WHERE vector MATCH @query AND k = @p AND rowid IN (
                        SELECT "p0"."Id"
                        FROM "Pages" AS "p0"
                        WHERE "p0"."Title" LIKE 'a%'
                    )
                ) AS "k"
                CROSS JOIN "Pages" AS "p"
                WHERE "p"."Id" = "k"."key"
                ORDER BY "k"."distance"
                LIMIT +@p
                """),
            Normalize(sql));
    }

    [Fact]
    public void KNN_query_SQL_of_an_int8_index_re_ranks_4k_candidates_with_the_exact_function()
    {
        using var db = new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8).HasQuantization(DiskAnnQuantization.Int8));
        var query = new float[8];
        var sql = db.Pages
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Skip(2)
            .Take(10)
            .Select(p => p.Title)
            .ToQueryString();

        Assert.Equal(
            Normalize(
                """
                .param set @query X'0000000000000000000000000000000000000000000000000000000000000000'
                .param set @p 2
                .param set @p3 10

                SELECT "p"."Title"
                FROM (
                    SELECT rowid AS "key", distance
                    FROM "IX_Pages_Embedding"
                    WHERE vector MATCH @query AND k = max(@p + @p3, min((@p + @p3) * 4, 10000))
                ) AS "k"
                CROSS JOIN "Pages" AS "p"
                WHERE "p"."Id" = "k"."key"
                ORDER BY vector_distance_cosine("p"."Embedding", @query)
                LIMIT +@p3 OFFSET @p
                """),
            Normalize(sql));
    }

    [Fact]
    public void Hand_written_int8_index_with_a_cache_size()
    {
        using var db = new PagesContext();
        var migrationBuilder = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.CreateDiskAnnIndex("docs_idx", "Docs", "Vector", 384, quantization: DiskAnnQuantization.Int8, cacheSizeMb: 64);
        var sql = db.GetService<IMigrationsSqlGenerator>().Generate(migrationBuilder.Operations).Select(c => Normalize(c.CommandText)).ToList();
        Assert.Equal("CREATE VIRTUAL TABLE \"docs_idx\" USING diskann(dimension=384, metric=cosine, quantization=int8, cache_size_mb=64);", sql[0]);
    }

    [Fact]
    public void Scalar_distance_SQL_uses_the_index_metric_by_default()
    {
        using var db = new PagesContext();
        var query = new float[8];
        var sql = db.Pages.Select(p => EF.Functions.VectorDistance(p.Embedding, query)).ToQueryString();
        Assert.EndsWith("SELECT vector_distance_dot(\"p\".\"Embedding\", @query)\nFROM \"Pages\" AS \"p\"", Normalize(sql));
    }

    [Fact]
    public void Create_script()
    {
        using var db = new PagesContext();
        Assert.Equal(
            Normalize(
                """
                CREATE TABLE "Pages" (
                    "Id" INTEGER NOT NULL CONSTRAINT "PK_Pages" PRIMARY KEY AUTOINCREMENT,
                    "Title" TEXT NOT NULL,
                    "Embedding" BLOB NOT NULL
                );


                CREATE VIRTUAL TABLE "IX_Pages_Embedding" USING diskann(dimension=8, metric=dot, alpha=1.3);


                INSERT INTO "IX_Pages_Embedding"(rowid, vector)
                SELECT "Id", "Embedding"
                FROM "Pages"
                WHERE "Embedding" IS NOT NULL;


                CREATE TRIGGER "IX_Pages_Embedding_insert" AFTER INSERT ON "Pages"
                WHEN new."Embedding" IS NOT NULL
                BEGIN
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) VALUES (new."Id", new."Embedding");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_update" AFTER UPDATE OF "Embedding", "Id" ON "Pages"
                WHEN old."Embedding" IS NOT new."Embedding" OR old."Id" IS NOT new."Id"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id" AND (new."Embedding" IS NULL OR old."Id" IS NOT new."Id");
                    UPDATE "IX_Pages_Embedding" SET vector = new."Embedding" WHERE rowid = old."Id" AND new."Embedding" IS NOT NULL AND old."Embedding" IS NOT NULL AND old."Id" IS new."Id";
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) SELECT new."Id", new."Embedding" WHERE new."Embedding" IS NOT NULL AND (old."Embedding" IS NULL OR old."Id" IS NOT new."Id");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_delete" AFTER DELETE ON "Pages"
                WHEN old."Embedding" IS NOT NULL
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id";
                END;
                """),
            Normalize(db.Database.GenerateCreateScript()));
    }

    [Fact]
    public void Hand_written_operations()
    {
        using var db = new PagesContext();
        var migrationBuilder = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.CreateDiskAnnIndex("docs_idx", "Docs", "Vector", 384, DiskAnnMetric.Cosine, keyColumn: "DocId", maxDegree: 32);
        migrationBuilder.DropDiskAnnIndex("docs_idx");
        var commands = db.GetService<IMigrationsSqlGenerator>().Generate(migrationBuilder.Operations);
        var sql = commands.Select(c => Normalize(c.CommandText)).ToList();

        Assert.Equal("CREATE VIRTUAL TABLE \"docs_idx\" USING diskann(dimension=384, metric=cosine, max_degree=32);", sql[0]);
        Assert.Equal("INSERT INTO \"docs_idx\"(rowid, vector)\nSELECT \"DocId\", \"Vector\"\nFROM \"Docs\"\nWHERE \"Vector\" IS NOT NULL;", sql[1]);
        Assert.StartsWith("CREATE TRIGGER \"docs_idx_insert\" AFTER INSERT ON \"Docs\"", sql[2]);
        Assert.Equal(
            ["DROP TRIGGER IF EXISTS \"docs_idx_insert\";", "DROP TRIGGER IF EXISTS \"docs_idx_update\";", "DROP TRIGGER IF EXISTS \"docs_idx_delete\";", "DROP TABLE IF EXISTS \"docs_idx\";"],
            sql[5..]);
    }

    [Fact]
    public void VectorDistance_throws_outside_queries()
        => Assert.Throws<InvalidOperationException>(() => EF.Functions.VectorDistance(new float[1], new float[1]));
}
