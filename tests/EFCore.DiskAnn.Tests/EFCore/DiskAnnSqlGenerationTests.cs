using DiskAnn;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace EFCore.DiskAnn.Tests.EFCore;

/// <summary>Generated SQL, without opening a connection: queries (ToQueryString), the create script, hand-written operations.</summary>
public class DiskAnnSqlGenerationTests
{
    internal static string Normalize(string sql)
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
                ORDER BY vector_distance_cosine("p"."Embedding", @query) NULLS LAST
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
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NULL;
                    UPDATE "IX_Pages_Embedding" SET vector = new."Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NOT NULL;
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) SELECT new."Id", new."Embedding"
                        WHERE new."Embedding" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "IX_Pages_Embedding" WHERE rowid = new."Id");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_update" AFTER UPDATE OF "Embedding", "Id" ON "Pages"
                WHEN old."Embedding" IS NOT new."Embedding" OR old."Id" IS NOT new."Id"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id" AND old."Id" IS NOT new."Id";
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NULL;
                    UPDATE "IX_Pages_Embedding" SET vector = new."Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NOT NULL;
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) SELECT new."Id", new."Embedding"
                        WHERE new."Embedding" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "IX_Pages_Embedding" WHERE rowid = new."Id");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_delete" AFTER DELETE ON "Pages"
                WHEN old."Embedding" IS NOT NULL
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id";
                END;
                """),
            Normalize(db.Database.GenerateCreateScript()));
    }

    /// <summary>
    /// With another UNIQUE constraint, the triggers note the rows a REPLACE through it is about to delete and remove those
    /// that are gone from the index afterwards.
    /// </summary>
    [Fact]
    public void Create_script_with_a_unique_index()
    {
        using var db = new PagesContext(b =>
        {
            b.Entity<Page>().HasIndex(p => p.Title).IsUnique();
            b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8);
        });
        Assert.Equal(
            Normalize(
                """
                CREATE TABLE "Pages" (
                    "Id" INTEGER NOT NULL CONSTRAINT "PK_Pages" PRIMARY KEY AUTOINCREMENT,
                    "Title" TEXT NOT NULL,
                    "Embedding" BLOB NOT NULL
                );


                CREATE VIRTUAL TABLE "IX_Pages_Embedding" USING diskann(dimension=8, metric=cosine);


                INSERT INTO "IX_Pages_Embedding"(rowid, vector)
                SELECT "Id", "Embedding"
                FROM "Pages"
                WHERE "Embedding" IS NOT NULL;


                CREATE TRIGGER "IX_Pages_Embedding_insert" AFTER INSERT ON "Pages"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NULL;
                    UPDATE "IX_Pages_Embedding" SET vector = new."Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NOT NULL;
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) SELECT new."Id", new."Embedding"
                        WHERE new."Embedding" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "IX_Pages_Embedding" WHERE rowid = new."Id");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_update" AFTER UPDATE OF "Embedding", "Id" ON "Pages"
                WHEN old."Embedding" IS NOT new."Embedding" OR old."Id" IS NOT new."Id"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id" AND old."Id" IS NOT new."Id";
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NULL;
                    UPDATE "IX_Pages_Embedding" SET vector = new."Embedding" WHERE rowid = new."Id" AND new."Embedding" IS NOT NULL;
                    INSERT INTO "IX_Pages_Embedding"(rowid, vector) SELECT new."Id", new."Embedding"
                        WHERE new."Embedding" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "IX_Pages_Embedding" WHERE rowid = new."Id");
                END;


                CREATE TRIGGER "IX_Pages_Embedding_delete" AFTER DELETE ON "Pages"
                WHEN old."Embedding" IS NOT NULL
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid = old."Id";
                END;


                CREATE TABLE IF NOT EXISTS "IX_Pages_Embedding_replaced" ("key" INTEGER);


                CREATE TRIGGER "IX_Pages_Embedding_replaced_before_insert" BEFORE INSERT ON "Pages"
                BEGIN
                    INSERT INTO "IX_Pages_Embedding_replaced"("key")
                        SELECT "Id" FROM "Pages" WHERE "Title" = new."Title";
                END;


                CREATE TRIGGER "IX_Pages_Embedding_replaced_after_insert" AFTER INSERT ON "Pages"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid IN (
                        SELECT r."key" FROM "IX_Pages_Embedding_replaced" AS r
                        WHERE NOT EXISTS (SELECT 1 FROM "Pages" AS t WHERE t."Id" = r."key" AND t."Embedding" IS NOT NULL));
                    DELETE FROM "IX_Pages_Embedding_replaced";
                END;


                CREATE TRIGGER "IX_Pages_Embedding_replaced_before_update" BEFORE UPDATE OF "Title" ON "Pages"
                WHEN old."Title" IS NOT new."Title"
                BEGIN
                    INSERT INTO "IX_Pages_Embedding_replaced"("key")
                        SELECT "Id" FROM "Pages" WHERE "Title" = new."Title" AND "Id" IS NOT old."Id";
                END;


                CREATE TRIGGER "IX_Pages_Embedding_replaced_after_update" AFTER UPDATE OF "Title" ON "Pages"
                WHEN old."Title" IS NOT new."Title"
                BEGIN
                    DELETE FROM "IX_Pages_Embedding" WHERE rowid IN (
                        SELECT r."key" FROM "IX_Pages_Embedding_replaced" AS r
                        WHERE NOT EXISTS (SELECT 1 FROM "Pages" AS t WHERE t."Id" = r."key" AND t."Embedding" IS NOT NULL));
                    DELETE FROM "IX_Pages_Embedding_replaced";
                END;


                CREATE UNIQUE INDEX "IX_Pages_Title" ON "Pages" ("Title");
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
            [
                "DROP TRIGGER IF EXISTS \"docs_idx_insert\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_update\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_delete\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_replaced_before_insert\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_replaced_after_insert\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_replaced_before_update\";",
                "DROP TRIGGER IF EXISTS \"docs_idx_replaced_after_update\";",
                "DROP TABLE IF EXISTS \"docs_idx_replaced\";",
                "DROP TABLE IF EXISTS \"docs_idx\";",
                "DROP TABLE IF EXISTS \"docs_idx_keys\";",
            ],
            sql[5..]);
    }

    [Fact]
    public void Hand_written_trigger_replacement_keeps_the_index_and_repairs_it()
    {
        using var db = new PagesContext();
        var migrationBuilder = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.RecreateDiskAnnTriggers("docs_idx", "Docs", "Vector", keyColumn: "DocId", uniqueKeys: [["Slug", "Lang"]]);
        var sql = db.GetService<IMigrationsSqlGenerator>().Generate(migrationBuilder.Operations).Select(c => Normalize(c.CommandText)).ToList();

        Assert.DoesNotContain(sql, s => s.Contains("VIRTUAL TABLE", StringComparison.Ordinal) || s == "DROP TABLE IF EXISTS \"docs_idx\";");
        Assert.Equal("DROP TRIGGER IF EXISTS \"docs_idx_insert\";", sql[0]);
        Assert.Equal("DROP TABLE IF EXISTS \"docs_idx_replaced\";", sql[7]);
        Assert.Equal("DELETE FROM \"docs_idx\"\nWHERE rowid NOT IN (SELECT \"DocId\" FROM \"Docs\" WHERE \"Vector\" IS NOT NULL);", sql[8]);
        Assert.Equal(
            "INSERT INTO \"docs_idx\"(rowid, vector)\nSELECT \"DocId\", \"Vector\"\nFROM \"Docs\"\nWHERE \"Vector\" IS NOT NULL AND \"DocId\" NOT IN (SELECT rowid FROM \"docs_idx\");",
            sql[9]);
        Assert.StartsWith("CREATE TRIGGER \"docs_idx_insert\" AFTER INSERT ON \"Docs\"", sql[10]);
        Assert.Equal("CREATE TABLE IF NOT EXISTS \"docs_idx_replaced\" (\"key\" INTEGER);", sql[13]);
        Assert.Contains("SELECT \"DocId\" FROM \"Docs\" WHERE \"Slug\" = new.\"Slug\" AND \"Lang\" = new.\"Lang\";", sql[14]);
        Assert.Equal(18, sql.Count);
    }

    [Theory]
    [InlineData("cosine", "Vector", true, false)]
    [InlineData("l2", "Vector", true, true)]
    [InlineData("cosine", "Other", true, true)]
    [InlineData("cosine", "Vector", false, true)]
    public void A_drop_and_create_of_the_same_index_rebuilds_it_only_when_the_index_itself_changes(
        string newMetric, string newColumn, bool dropNamesItsColumn, bool rebuilds)
    {
        using var db = new PagesContext();
        var drop = new DropIndexOperation { Name = "IX", Table = "Docs" };
        drop.AddAnnotation(DiskAnnAnnotationNames.Dimension, 8);
        drop.AddAnnotation(DiskAnnAnnotationNames.Metric, "cosine");
        drop.AddAnnotation(DiskAnnAnnotationNames.KeyColumn, "Id");
        if (dropNamesItsColumn)
        {
            drop.AddAnnotation(DiskAnnAnnotationNames.Column, "Vector");
        }

        var create = new CreateIndexOperation { Name = "IX", Table = "Docs", Columns = [newColumn] };
        create.AddAnnotation(DiskAnnAnnotationNames.Dimension, 8);
        create.AddAnnotation(DiskAnnAnnotationNames.Metric, newMetric);
        create.AddAnnotation(DiskAnnAnnotationNames.KeyColumn, "Id");
        create.AddAnnotation(DiskAnnAnnotationNames.Triggers, 2);
        create.AddAnnotation(DiskAnnAnnotationNames.UniqueKeys, "\"Title\"");

        var sql = db.GetService<IMigrationsSqlGenerator>().Generate([drop, create]).Select(c => Normalize(c.CommandText)).ToList();
        Assert.Equal(rebuilds, sql.Contains("DROP TABLE IF EXISTS \"IX\";"));
        Assert.Equal(rebuilds, sql.Any(s => s.StartsWith("CREATE VIRTUAL TABLE \"IX\"", StringComparison.Ordinal)));
        Assert.Equal(!rebuilds, sql.Any(s => s.StartsWith("DELETE FROM \"IX\"\nWHERE rowid NOT IN", StringComparison.Ordinal)));
        Assert.Contains(sql, s => s.StartsWith("CREATE TRIGGER \"IX_replaced_before_insert\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Unique_keys_annotation_round_trips_any_column_name()
    {
        string[][] keys = [["Slug", "Lang"], ["Title"], ["a \"quoted\"; name, with commas"]];
        var text = DiskAnnUniqueKeys.Format(keys);
        Assert.Equal("\"Slug\", \"Lang\"; \"Title\"; \"a \"\"quoted\"\"; name, with commas\"", text);
        Assert.Equal(keys.Select(k => k.ToList()), DiskAnnUniqueKeys.Parse(text).Select(k => k.ToList()));
        Assert.Null(DiskAnnUniqueKeys.Format([]));
        Assert.Empty(DiskAnnUniqueKeys.Parse(""));
        var error = Assert.Throws<InvalidOperationException>(() => DiskAnnUniqueKeys.Parse("Title"));
        Assert.Contains("double quotes", error.Message);
    }

    [Fact]
    public void An_ordering_by_an_exact_distance_puts_NULL_last()
    {
        using var db = new PagesContext();
        var query = new float[8];
        var sql = db.Pages
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query, DiskAnnMetric.L2))
            .ThenBy(p => p.Id)
            .Take(3)
            .Select(p => p.Id)
            .ToQueryString();
        Assert.EndsWith(
            "SELECT \"p\".\"Id\"\nFROM \"Pages\" AS \"p\"\nORDER BY vector_distance_l2(\"p\".\"Embedding\", @query) NULLS LAST, \"p\".\"Id\"\nLIMIT @p",
            Normalize(sql));
    }

    [Fact]
    public void VectorDistance_throws_outside_queries()
        => Assert.Throws<InvalidOperationException>(() => EF.Functions.VectorDistance(new float[1], new float[1]));
}
