using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace EFCore.DiskAnn.Tests.EFCore;

/// <summary>Keys that are not integers: the model, the KNN SQL and the schema SQL of the key map, as baselines.</summary>
public class DiskAnnKeySqlTests
{
    private static string Normalize(string sql) => DiskAnnSqlGenerationTests.Normalize(sql);

    [Fact]
    public void Only_a_key_that_is_not_an_integer_has_a_key_map()
    {
        using var db = new KeyedPagesContext();
        var model = db.GetService<IDesignTimeModel>().Model.GetRelationalModel();
        Assert.Equal(true, model.FindTable("GuidPages", null)!.Indexes.Single()[DiskAnnAnnotationNames.KeyMap]);
        Assert.Equal(true, model.FindTable("CodedPages", null)!.Indexes.Single(i => i.GetDiskAnnOptions() is not null)[DiskAnnAnnotationNames.KeyMap]);
        Assert.Equal("Code", model.FindTable("CodedPages", null)!.Indexes.Single(i => i.GetDiskAnnOptions() is not null)[DiskAnnAnnotationNames.KeyColumn]);

        using var pages = new PagesContext();
        var index = pages.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable("Pages", null)!.Indexes.Single();
        Assert.Null(index.FindAnnotation(DiskAnnAnnotationNames.KeyMap));
    }

    [Fact]
    public void KNN_query_SQL_of_a_Guid_key_maps_the_rowids_to_keys_and_the_filter_to_rowids()
    {
        using var db = new KeyedPagesContext();
        var query = new float[2];
        var sql = db.GuidPages
            .Where(p => p.Title.StartsWith("a"))
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(10)
            .Select(p => p.Title)
            .ToQueryString();

        Assert.Equal(
            Normalize(
                """
                .param set @query X'0000000000000000'
                .param set @p 10

                SELECT "g"."Title"
                FROM (
                    SELECT (SELECT "IX_GuidPages_Embedding_keys"."key" FROM "IX_GuidPages_Embedding_keys" WHERE "IX_GuidPages_Embedding_keys"."id" = "IX_GuidPages_Embedding".rowid) AS "key", distance
                    FROM "IX_GuidPages_Embedding"
                    WHERE vector MATCH @query AND k = @p AND rowid IN (
                        SELECT "IX_GuidPages_Embedding_keys"."id" FROM "IX_GuidPages_Embedding_keys" WHERE "IX_GuidPages_Embedding_keys"."key" IN (
                            SELECT "g0"."Id"
                            FROM "GuidPages" AS "g0"
                            WHERE "g0"."Title" LIKE 'a%'
                        )
                    )
                ) AS "k"
                CROSS JOIN "GuidPages" AS "g"
                WHERE "g"."Id" = "k"."key"
                ORDER BY "k"."distance"
                LIMIT +@p
                """),
            Normalize(sql));
    }

    [Fact]
    public void KNN_query_SQL_of_a_converted_key_projection_reads_the_search_alone()
    {
        using var db = new KeyedPagesContext();
        var query = new float[2];
        var sql = db.CodedPages
            .OrderBy(p => EF.Functions.VectorDistance(p.Embedding, query))
            .Take(10)
            .Select(p => p.Code)
            .ToQueryString();

        Assert.Equal(
            Normalize(
                """
                .param set @query X'0000000000000000'
                .param set @p 10

                SELECT "k"."key" AS "Code"
                FROM (
                    SELECT (SELECT "IX_CodedPages_Embedding_keys"."key" FROM "IX_CodedPages_Embedding_keys" WHERE "IX_CodedPages_Embedding_keys"."id" = "IX_CodedPages_Embedding".rowid) AS "key", distance
                    FROM "IX_CodedPages_Embedding"
                    WHERE vector MATCH @query AND k = @p
                ) AS "k"
                ORDER BY "k"."distance"
                LIMIT +@p
                """),
            Normalize(sql));
    }

    [Fact]
    public void Create_script_of_a_Guid_key_creates_and_fills_the_key_map_which_the_triggers_keep()
    {
        using var db = new KeyedPagesContext();
        var script = Normalize(db.Database.GenerateCreateScript());
        Assert.Contains(
            Normalize(
                """
                CREATE VIRTUAL TABLE "IX_GuidPages_Embedding" USING diskann(dimension=2, metric=l2);


                CREATE TABLE IF NOT EXISTS "IX_GuidPages_Embedding_keys" ("id" INTEGER PRIMARY KEY, "key" NOT NULL UNIQUE);


                INSERT INTO "IX_GuidPages_Embedding_keys"("key")
                SELECT "Id"
                FROM "GuidPages"
                WHERE "Embedding" IS NOT NULL;


                INSERT INTO "IX_GuidPages_Embedding"(rowid, vector)
                SELECT "IX_GuidPages_Embedding_keys"."id", "GuidPages"."Embedding"
                FROM "GuidPages"
                JOIN "IX_GuidPages_Embedding_keys" ON "IX_GuidPages_Embedding_keys"."key" = "GuidPages"."Id"
                WHERE "GuidPages"."Embedding" IS NOT NULL;
                """),
            script);
        Assert.Contains(
            Normalize(
                """
                CREATE TRIGGER "IX_GuidPages_Embedding_delete" AFTER DELETE ON "GuidPages"
                WHEN old."Embedding" IS NOT NULL
                BEGIN
                    DELETE FROM "IX_GuidPages_Embedding" WHERE rowid = (SELECT "IX_GuidPages_Embedding_keys"."id" FROM "IX_GuidPages_Embedding_keys" WHERE "IX_GuidPages_Embedding_keys"."key" = old."Id");
                    DELETE FROM "IX_GuidPages_Embedding_keys" WHERE "IX_GuidPages_Embedding_keys"."key" = old."Id";
                END;
                """),
            script);
        Assert.Contains(
            "    INSERT INTO \"IX_GuidPages_Embedding_keys\"(\"key\") SELECT new.\"Id\"\n"
            + "        WHERE new.\"Embedding\" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \"IX_GuidPages_Embedding_keys\" WHERE \"IX_GuidPages_Embedding_keys\".\"key\" = new.\"Id\");",
            script);

        // A REPLACE through the unique title notes the keys it deletes as the table stores them (a TEXT key has no INTEGER affinity).
        Assert.Contains("CREATE TABLE IF NOT EXISTS \"IX_CodedPages_Embedding_replaced\" (\"key\");", script);
        Assert.Contains("DELETE FROM \"IX_CodedPages_Embedding_keys\" WHERE \"IX_CodedPages_Embedding_keys\".\"key\" IN (", script);
    }

    [Fact]
    public void Hand_written_CreateDiskAnnIndex_takes_the_key_map_from_its_argument_or_the_model()
    {
        using var db = new KeyedPagesContext();
        var generator = db.GetService<IMigrationsSqlGenerator>();
        var told = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        told.CreateDiskAnnIndex("docs_idx", "Docs", "Vector", 2, keyColumn: "Slug", keyMap: true);
        var sql = generator.Generate(told.Operations).Select(c => Normalize(c.CommandText)).ToList();
        Assert.Equal("CREATE TABLE IF NOT EXISTS \"docs_idx_keys\" (\"id\" INTEGER PRIMARY KEY, \"key\" NOT NULL UNIQUE);", sql[1]);
        Assert.Equal("INSERT INTO \"docs_idx_keys\"(\"key\")\nSELECT \"Slug\"\nFROM \"Docs\"\nWHERE \"Vector\" IS NOT NULL;", sql[2]);

        // Without the argument, applied with a model whose table has a Guid key.
        var model = db.GetService<IDesignTimeModel>().Model;
        var untold = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        untold.CreateDiskAnnIndex("guid_idx", "GuidPages", "Embedding", 2);
        sql = generator.Generate(untold.Operations, model).Select(c => Normalize(c.CommandText)).ToList();
        Assert.Equal("CREATE TABLE IF NOT EXISTS \"guid_idx_keys\" (\"id\" INTEGER PRIMARY KEY, \"key\" NOT NULL UNIQUE);", sql[1]);

        // An integer key has none.
        var integer = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        integer.CreateDiskAnnIndex("int_idx", "Docs", "Vector", 2);
        sql = generator.Generate(integer.Operations).Select(c => Normalize(c.CommandText)).ToList();
        Assert.DoesNotContain(sql, s => s.Contains("_keys", StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_with_a_collation_other_than_BINARY_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new KeyedPagesContext(b => b.Entity<CodedPage>().Property(p => p.Code).UseCollation("NOCASE")).Model);
        Assert.Contains("the key 'Code' of 'CodedPage' has the collation NOCASE", error.Message);
        Assert.Contains("Remove UseCollation from the key", error.Message);
    }

    [Fact]
    public void A_keyless_entity_is_refused_with_the_fix()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => new KeyedPagesContext(b => b.Entity<GuidPage>().HasNoKey()).Model);
        Assert.Contains("The diskann index on 'GuidPage' needs a primary key (the index finds rows by it); 'GuidPage' has none. Give it a key with HasKey(...).", error.Message);
    }

    [Fact]
    public void A_key_that_stops_being_an_integer_rebuilds_the_index_with_a_key_map()
    {
        using var before = new PagesContext(b => b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8));
        using var after = new PagesContext(b =>
        {
            b.Entity<Page>().Property(p => p.Id).HasConversion<string>();
            b.Entity<Page>().HasDiskAnnIndex(p => p.Embedding, 8);
        });
        var source = before.GetService<IDesignTimeModel>().Model;
        var target = after.GetService<IDesignTimeModel>().Model;
        var operations = after.GetService<IMigrationsModelDiffer>().GetDifferences(source.GetRelationalModel(), target.GetRelationalModel());
        var sql = after.GetService<IMigrationsSqlGenerator>().Generate(operations, target).Select(c => Normalize(c.CommandText)).ToList();

        // Not a trigger-only change: the index is dropped and built again, over the key map.
        Assert.Contains("DROP TABLE IF EXISTS \"IX_Pages_Embedding\";", sql);
        Assert.Contains("CREATE VIRTUAL TABLE \"IX_Pages_Embedding\" USING diskann(dimension=8, metric=cosine);", sql);
        Assert.Contains("CREATE TABLE IF NOT EXISTS \"IX_Pages_Embedding_keys\" (\"id\" INTEGER PRIMARY KEY, \"key\" NOT NULL UNIQUE);", sql);

        // EF Core orders the index before SQLite's table rebuild, which converts the keys to TEXT: after it, the key map
        // takes the keys as the new table stores them, and the triggers are created again on the new table
        // (EfKeyMigrationTests runs this over rows).
        var rename = sql.IndexOf("ALTER TABLE \"ef_temp_Pages\" RENAME TO \"Pages\";");
        var refresh = sql.IndexOf(
            "UPDATE \"IX_Pages_Embedding_keys\" SET \"key\" = (SELECT t.\"Id\" FROM \"Pages\" AS t WHERE t.\"Id\" = +\"IX_Pages_Embedding_keys\".\"key\")\n"
            + "WHERE EXISTS (SELECT 1 FROM \"Pages\" AS t WHERE t.\"Id\" = +\"IX_Pages_Embedding_keys\".\"key\");");
        Assert.True(rename > 0 && refresh > rename, $"rename at {rename}, key map refresh at {refresh}");
        Assert.StartsWith("CREATE TRIGGER \"IX_Pages_Embedding_delete\"", sql[^1]);

        // And back: the key map goes with the old index, the new one is the integer key's.
        operations = before.GetService<IMigrationsModelDiffer>().GetDifferences(target.GetRelationalModel(), source.GetRelationalModel());
        sql = before.GetService<IMigrationsSqlGenerator>().Generate(operations, source).Select(c => Normalize(c.CommandText)).ToList();
        Assert.Contains("DROP TABLE IF EXISTS \"IX_Pages_Embedding_keys\";", sql);
        Assert.DoesNotContain(sql, s => s.StartsWith("CREATE TABLE IF NOT EXISTS \"IX_Pages_Embedding_keys\"", StringComparison.Ordinal));
        Assert.Contains("INSERT INTO \"IX_Pages_Embedding\"(rowid, vector)\nSELECT \"Id\", \"Embedding\"\nFROM \"Pages\"\nWHERE \"Embedding\" IS NOT NULL;", sql);
    }
}
