// DesignTimeServicesBuilder and IOperationReporter are what dotnet ef (its OperationExecutor) runs; EF Core marks them internal.
#pragma warning disable EF1001
using System.Reflection;
using DiskAnn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design.Internal;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.EntityFrameworkCore.Migrations.Design;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionalTests.EFCore;

/// <summary>
/// What <c>dotnet ef migrations add</c> and <c>migrations script</c> do, in-process: the design-time services are built
/// the way the tool builds them (from the context and the <c>[assembly: DesignTimeServicesReference]</c> the package's
/// targets add), the scaffolded migration and snapshot are compiled with Roslyn, applied with <c>Migrate()</c> to a file
/// database, and the next model version is scaffolded against that snapshot.
/// </summary>
public sealed class EfDesignTimeTests : IDisposable
{
    private readonly EfTestDatabase _database = new();
    private readonly SqlCapture _sql = new();
    private readonly List<string> _sources = [];
    private readonly List<string> _migrationIds = [];
    private Assembly? _migrations;
    private string _snapshot = "";

    public void Dispose() => _database.Dispose();

    private LibraryContext Context(int version) => new(_database.ConnectionString, version, _migrations, _sql);

    /// <summary>
    /// <c>dotnet ef migrations add</c> for model <paramref name="version" />, then a build with the new files, then
    /// <c>Migrate()</c>. Returns the migration's code.
    /// </summary>
    private (string Up, string Down) AddAndApply(int version, string name)
    {
        var reporter = new RecordingReporter();
        ScaffoldedMigration migration;
        using (var db = Context(version))
        {
            var services = new DesignTimeServicesBuilder(typeof(LibraryContext).Assembly, typeof(LibraryContext).Assembly, reporter, [])
                .Build(db);
            using var scope = services.CreateScope();
            migration = scope.ServiceProvider.GetRequiredService<IMigrationsScaffolder>()
                .ScaffoldMigration(name, "FunctionalTests.EFCore.Generated");
        }

        Assert.Empty(reporter.Errors);

        // The package's targets put [assembly: DesignTimeServicesReference] on the project: dotnet ef uses the plugin's services.
        Assert.Contains(reporter.Verbose, m => m.Contains("design-time services from assembly 'EFCore.DiskAnn'", StringComparison.Ordinal));
        _sources.Add(migration.MigrationCode);
        _sources.Add(migration.MetadataCode);
        _migrationIds.Add(migration.MigrationId);
        _snapshot = migration.SnapshotCode;
        _migrations = Compile([.. _sources, _snapshot], "LibraryMigrations" + _migrationIds.Count);

        using (var db = Context(version))
        {
            Assert.False(db.Database.HasPendingModelChanges());
            db.Database.Migrate();
        }

        var down = migration.MigrationCode.IndexOf("protected override void Down", StringComparison.Ordinal);
        Assert.True(down > 0);
        return (migration.MigrationCode[..down], migration.MigrationCode[down..]);
    }

    /// <summary>The first migration (model 1) applied, then <paramref name="docs" /> added.</summary>
    private void CreateWith(params LibraryDoc[] docs)
    {
        AddAndApply(1, "M1Create");
        using var db = Context(1);
        db.Set<LibraryDoc>().AddRange(docs);
        db.SaveChanges();
    }

    /// <summary>
    /// Rewrites the migrations and the snapshot scaffolded so far, as if an older version of the plugin had written them,
    /// and builds them again (the database's history is unchanged).
    /// </summary>
    private void RewriteHistory(Func<string, string> rewrite)
    {
        for (var i = 0; i < _sources.Count; i++)
        {
            _sources[i] = rewrite(_sources[i]);
        }

        _snapshot = rewrite(_snapshot);
        _migrations = Compile([.. _sources, _snapshot], "LibraryMigrationsRewritten" + _migrationIds.Count);
    }

    private static readonly Lazy<List<MetadataReference>> References = new(() =>
    {
        // The framework and every assembly of the test's dependency graph (EF Core, the plugin, the tests themselves).
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic && a.Location.Length > 0).Select(a => a.Location))
            .Where(p => p.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            .DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase);
        return [.. paths.Select(p => MetadataReference.CreateFromFile(p))];
    });

    private static Assembly Compile(IEnumerable<string> sources, string assemblyName)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            sources.Select(s => CSharpSyntaxTree.ParseText(s)),
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        using var stream = new MemoryStream();
        var result = compilation.Emit(stream);
        Assert.True(
            result.Success,
            string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(stream.ToArray());
    }

    private static List<string> Schema(DbContext db, string type)
        => db.Database.SqlQuery<string>($"SELECT name AS \"Value\" FROM sqlite_master WHERE type = {type} ORDER BY name").ToList();

    /// <summary>The tables other than SQLite's and EF Core's own (migrations history and lock).</summary>
    private static List<string> UserTables(DbContext db)
        => Schema(db, "table").Where(n => !n.StartsWith("sqlite_", StringComparison.Ordinal) && !n.StartsWith("__EF", StringComparison.Ordinal)).ToList();

    private static string? TableSql(DbContext db, string name)
        => db.Database.SqlQuery<string>($"SELECT sql AS \"Value\" FROM sqlite_master WHERE name = {name}").AsEnumerable().SingleOrDefault();

    private static string[] Triggers(string index) => [index + "_delete", index + "_insert", index + "_update"];

    /// <summary>The database has the virtual table <paramref name="index" /> with these options, and only its triggers.</summary>
    private static void AssertIndex(DbContext db, string index, string options)
    {
        Assert.Contains(options, TableSql(db, index));
        Assert.Equal(Triggers(index), Schema(db, "trigger"));
    }

    /// <summary>The nearest entity by the indexed property <paramref name="vector" />, asserting the index answered.</summary>
    private int Nearest<T>(LibraryContext db, string vector, float[] query)
        where T : class
    {
        _sql.Clear();
        var id = db.Set<T>()
            .OrderBy(e => EF.Functions.VectorDistance(EF.Property<float[]>(e, vector), query))
            .Take(1)
            .Select(e => EF.Property<int>(e, "Id"))
            .Single();
        Assert.Contains("vector MATCH", _sql.Last);
        return id;
    }

    [Fact]
    public void Migrations_add_creates_alters_renames_and_drops_the_index_and_Down_reverts_each_step()
    {
        // 1. The first migration: the table, and the index as the plugin's own operation (with the usings it needs).
        var (up, down) = AddAndApply(1, "M1Create");
        Assert.Contains(
            string.Join(
                "\n",
                "            migrationBuilder.CreateDiskAnnIndex(",
                "                name: \"IX_Docs_Embedding\",",
                "                table: \"Docs\",",
                "                column: \"Embedding\",",
                "                dimension: 3,",
                "                metric: DiskAnnMetric.Cosine,",
                "                keyColumn: \"Id\");"),
            up.ReplaceLineEndings("\n"));
        Assert.DoesNotContain("migrationBuilder.CreateIndex(", up);
        Assert.DoesNotContain(".Annotation(\"DiskAnn:", up);
        Assert.StartsWith("using DiskAnn;\nusing Microsoft.EntityFrameworkCore;\nusing Microsoft.EntityFrameworkCore.Metadata;\nusing Microsoft.EntityFrameworkCore.Migrations;\n", up.TrimStart('\uFEFF').ReplaceLineEndings("\n"));
        Assert.Contains(".Annotation(\"DiskAnn:VirtualTables\", \"IX_Docs_Embedding\")", down);
        using (var db = Context(1))
        {
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine)");
            db.Set<LibraryDoc>().AddRange(
                new LibraryDoc { Title = "x", Embedding = [1, 0, 0] },
                new LibraryDoc { Title = "y", Embedding = [0, 1, 0] },
                new LibraryDoc { Title = "z", Embedding = [0, 0, 1] },
                new LibraryDoc { Title = "none" });
            db.SaveChanges();
            Assert.Equal(1, Nearest<LibraryDoc>(db, "Embedding", [0.9f, 0.1f, 0]));
        }

        // 2. New options: the index is dropped and created again (and refilled from the table).
        (up, _) = AddAndApply(2, "M2Options");
        Assert.Contains("migrationBuilder.DropIndex(", up);
        Assert.Contains("metric: DiskAnnMetric.L2,", up);
        Assert.Contains("maxDegree: 16", up);
        using (var db = Context(2))
        {
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=l2, max_degree=16)");
            Assert.Equal(3, db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Docs_Embedding\"").AsEnumerable().Single());

            // Cosine and l2 disagree here: (2, 2, 0) is nearest to (1, 1, 0) by angle, (0.9, 0.9, 0.5) by distance.
            db.Set<LibraryDoc>().AddRange(
                new LibraryDoc { Title = "far", Embedding = [2, 2, 0] },
                new LibraryDoc { Title = "near", Embedding = [0.9f, 0.9f, 0.5f] });
            db.SaveChanges();
            Assert.Equal(6, Nearest<LibraryDoc>(db, "Embedding", [1, 1, 0]));
        }

        // 3. The vector property is renamed: the column is renamed and the index follows it.
        (up, _) = AddAndApply(3, "M3RenameProperty");
        Assert.Contains("migrationBuilder.RenameColumn(", up);
        Assert.Contains("newName: \"Vector\"", up);
        Assert.Contains("newName: \"IX_Docs_Vector\"", up);
        using (var db = Context(3))
        {
            Assert.Null(TableSql(db, "IX_Docs_Embedding"));
            AssertIndex(db, "IX_Docs_Vector", "USING diskann(dimension=3, metric=l2, max_degree=16)");
            Assert.Equal(6, Nearest<LibraryDocRenamed>(db, "Vector", [1, 1, 0]));
            db.Set<LibraryDocRenamed>().Add(new LibraryDocRenamed { Title = "w", Vector = [-1, 0, 0] });
            db.SaveChanges();
            Assert.Equal(7, Nearest<LibraryDocRenamed>(db, "Vector", [-1, 0.1f, 0]));
        }

        // 4. The entity's table is renamed: so is the index, by convention.
        (up, _) = AddAndApply(4, "M4RenameTable");
        Assert.Contains("migrationBuilder.RenameTable(", up);
        using (var db = Context(4))
        {
            Assert.Null(TableSql(db, "IX_Docs_Vector"));
            AssertIndex(db, "IX_Papers_Vector", "metric=l2");
            Assert.Equal(7, Nearest<LibraryDocRenamed>(db, "Vector", [-1, 0.1f, 0]));
        }

        // 5. The entity is dropped: its table, index and triggers go.
        (up, down) = AddAndApply(5, "M5DropEntity");
        Assert.Contains(".Annotation(\"DiskAnn:VirtualTables\", \"IX_Papers_Vector\")", up);
        Assert.Contains("migrationBuilder.CreateDiskAnnIndex(", down);
        Assert.Contains("dimension: 3,", down);
        using (var db = Context(5))
        {
            Assert.Empty(UserTables(db));
            Assert.Empty(Schema(db, "trigger"));
        }

        // Down, one migration at a time, back to nothing.
        using (var db = Context(5))
        {
            var migrator = db.GetService<IMigrator>();
            migrator.Migrate(_migrationIds[3]);
            AssertIndex(db, "IX_Papers_Vector", "metric=l2");
            migrator.Migrate(_migrationIds[2]);
            AssertIndex(db, "IX_Docs_Vector", "metric=l2");
            migrator.Migrate(_migrationIds[1]);
            AssertIndex(db, "IX_Docs_Embedding", "metric=l2, max_degree=16");
            migrator.Migrate(_migrationIds[0]);
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine)");
        }

        // The table came back empty with Down of step 5; the index and its triggers work again.
        using (var db = Context(1))
        {
            db.Set<LibraryDoc>().AddRange(
                new LibraryDoc { Title = "v", Embedding = [0, -1, 0] },
                new LibraryDoc { Title = "u", Embedding = [1, 0, 0] });
            db.SaveChanges();
            Assert.Equal(2, Nearest<LibraryDoc>(db, "Embedding", [0.9f, 0.1f, 0]));
            Assert.Equal(1, Nearest<LibraryDoc>(db, "Embedding", [0, -1, 0.1f]));
            db.GetService<IMigrator>().Migrate(Migration.InitialDatabase);
            Assert.Empty(UserTables(db));
            Assert.Empty(Schema(db, "trigger"));
        }
    }

    [Fact]
    public void Dropping_the_vector_property_drops_the_index_and_the_script_has_every_statement()
    {
        CreateWith(new LibraryDoc { Title = "x", Embedding = [1, 0, 0] }, new LibraryDoc { Title = "y" });

        var (up, down) = AddAndApply(6, "M2DropProperty");
        Assert.Contains("migrationBuilder.DropIndex(", up);
        Assert.Contains(".Annotation(\"DiskAnn:Dimension\", 3)", up);
        Assert.Contains("migrationBuilder.DropColumn(", up);
        Assert.Contains("metric: DiskAnnMetric.Cosine,", down);
        using (var db = Context(6))
        {
            Assert.Null(TableSql(db, "IX_Docs_Embedding"));
            Assert.Null(TableSql(db, "IX_Docs_Embedding_vectors"));
            Assert.Empty(Schema(db, "trigger"));
            Assert.Equal(["x", "y"], db.Set<LibraryDoc>().OrderBy(d => d.Id).Select(d => d.Title).ToList());

            // dotnet ef migrations script: from nothing to the last migration, and back.
            var migrator = db.GetService<IMigrator>();
            var script = migrator.GenerateScript();
            Assert.Contains("CREATE VIRTUAL TABLE \"IX_Docs_Embedding\" USING diskann(dimension=3, metric=cosine);", script);
            Assert.Contains("INSERT INTO \"IX_Docs_Embedding\"(rowid, vector)", script);
            Assert.Contains("SELECT \"Id\", \"Embedding\"", script);
            foreach (var trigger in Triggers("IX_Docs_Embedding"))
            {
                Assert.Contains($"CREATE TRIGGER \"{trigger}\"", script);
                Assert.Contains($"DROP TRIGGER IF EXISTS \"{trigger}\"", script);
            }

            Assert.Contains("DROP TABLE IF EXISTS \"IX_Docs_Embedding\"", script);
            var revert = migrator.GenerateScript(fromMigration: _migrationIds[1], toMigration: Migration.InitialDatabase);
            Assert.Contains("CREATE VIRTUAL TABLE \"IX_Docs_Embedding\" USING diskann(dimension=3, metric=cosine);", revert);
            Assert.Contains("DROP TABLE IF EXISTS \"IX_Docs_Embedding\"", revert);

            // Down re-creates the index from the rows' restored (empty) column.
            migrator.Migrate(_migrationIds[0]);
            AssertIndex(db, "IX_Docs_Embedding", "metric=cosine");
        }

        using (var db = Context(1))
        {
            db.Set<LibraryDoc>().Add(new LibraryDoc { Title = "z", Embedding = [0, 0, 1] });
            db.SaveChanges();
            Assert.Equal(3, Nearest<LibraryDoc>(db, "Embedding", [0, 0.1f, 1]));
        }
    }

    [Fact]
    public void Switching_to_int8_with_a_cache_size_is_scaffolded_applied_and_reverted()
    {
        CreateWith(
            new LibraryDoc { Title = "x", Embedding = [1, 0, 0] },
            new LibraryDoc { Title = "y", Embedding = [0, 1, 0] },
            new LibraryDoc { Title = "z", Embedding = [0, 0, 1] });

        // The options are annotations of the scaffolded CreateIndex (and of the snapshot: AddAndApply checks that the
        // compiled snapshot has no pending change); Migrate() drops the index and builds it again, refilled.
        var (up, down) = AddAndApply(7, "M2Int8");
        Assert.Contains("migrationBuilder.DropIndex(", up);
        Assert.Contains("quantization: DiskAnnQuantization.Int8,", up);
        Assert.Contains("cacheSizeMb: 1", up);
        Assert.Contains("migrationBuilder.CreateDiskAnnIndex(", down);
        using (var db = Context(7))
        {
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine, quantization=int8, cache_size_mb=1)");
            Assert.Equal(3, db.Database.SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM \"IX_Docs_Embedding\"").AsEnumerable().Single());
            Assert.Equal(2, Nearest<LibraryDoc>(db, "Embedding", [0.1f, 0.9f, 0]));
            db.Set<LibraryDoc>().Add(new LibraryDoc { Title = "w", Embedding = [-1, 0, 0] });
            db.SaveChanges();
            Assert.Equal(4, Nearest<LibraryDoc>(db, "Embedding", [-1, 0.1f, 0]));

            // Down: float32 again, with the row written under int8.
            db.GetService<IMigrator>().Migrate(_migrationIds[0]);
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine)");
            Assert.DoesNotContain("quantization", TableSql(db, "IX_Docs_Embedding"));
        }

        using (var db = Context(1))
        {
            Assert.Equal(4, Nearest<LibraryDoc>(db, "Embedding", [-1, 0.1f, 0]));
        }
    }

    [Fact]
    public void Including_a_property_is_scaffolded_into_the_snapshot_and_rebuilds_the_index()
    {
        CreateWith(
            new LibraryDoc { Title = "x", Embedding = [1, 0, 0] },
            new LibraryDoc { Title = "y", Embedding = [0.9f, 0.1f, 0] },
            new LibraryDoc { Title = "x", Embedding = [0, 0, 1] });

        // The model's annotation is in the snapshot (AddAndApply checks it compiles and has no pending change); the
        // migration's CreateIndex carries the column it makes.
        var (up, down) = AddAndApply(9, "M2IncludeTitle");
        Assert.Contains(".HasAnnotation(\"DiskAnn:IncludeProperties\", new[] { \"Title\" })", _snapshot);
        Assert.Contains("migrationBuilder.DropIndex(", up);
        Assert.Contains("filterColumns: new[] { new DiskAnnFilterColumn(\"Title\", DiskAnnFilterType.Text) }", up);
        Assert.Contains("migrationBuilder.CreateDiskAnnIndex(", down);
        using (var db = Context(9))
        {
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine, \"Title\" TEXT)");
            var query = new float[] { 1, 0, 0 };
            _sql.Clear();
            var hit = db.Set<LibraryDoc>().Where(d => d.Title == "x")
                .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(2).Select(d => d.Id).ToList();
            Assert.Contains("AND \"i\".\"Title\" = 'x'", _sql.Last);
            Assert.Equal([1, 3], hit);

            db.GetService<IMigrator>().Migrate(_migrationIds[0]);
            AssertIndex(db, "IX_Docs_Embedding", "USING diskann(dimension=3, metric=cosine)");
            Assert.DoesNotContain("Title", TableSql(db, "IX_Docs_Embedding"));
        }
    }

    private static (List<long> Table, List<long> Index) Keys(DbContext db)
    {
        db.Database.OpenConnection();
        return OldTriggers.Keys(db.Database.GetDbConnection(), "IX_Docs_Embedding", "Docs", "Id", "Embedding");
    }

    /// <summary>The keys of the rows with a vector are <paramref name="table" />, the index's rowids <paramref name="index" />.</summary>
    private static void AssertKeys(DbContext db, long[] table, long[] index)
    {
        var keys = Keys(db);
        Assert.Equal(table, keys.Table);
        Assert.Equal(index, keys.Index);
    }

    private static void Exec(DbContext db, string sql)
    {
        db.Database.OpenConnection();
        using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public void A_database_with_the_triggers_of_an_older_version_gets_the_new_ones_from_migrations_add()
    {
        CreateWith(
            new LibraryDoc { Title = "x", Embedding = [1, 0, 0] },
            new LibraryDoc { Title = "y", Embedding = [0, 1, 0] },
            new LibraryDoc { Title = "z", Embedding = [0, 0, 1] });

        // The migration, the snapshot and the triggers as an older version of the plugin wrote them; the old triggers
        // let a REPLACE leave row 2's vector in the index.
        RewriteHistory(code => code
            .Replace(".HasAnnotation(\"DiskAnn:Triggers\", 2)", "", StringComparison.Ordinal)
            .Replace(".Annotation(\"DiskAnn:Triggers\", 2)", "", StringComparison.Ordinal));
        using (var db = Context(1))
        {
            Assert.True(db.Database.HasPendingModelChanges());
            db.Database.OpenConnection();
            OldTriggers.Install(db.Database.GetDbConnection(), "IX_Docs_Embedding", "Docs", "Id", "Embedding");
            Exec(db, "INSERT OR REPLACE INTO \"Docs\" (\"Id\", \"Title\", \"Embedding\") VALUES (2, 'y', NULL)");
            AssertKeys(db, [1, 3], [1, 2, 3]);
        }

        // dotnet ef migrations add: the index's annotations changed, so it is dropped and created; the generator only
        // replaces the triggers (no rebuild) and repairs what the old ones missed.
        var (up, _) = AddAndApply(1, "M2Triggers");
        Assert.Contains("migrationBuilder.DropIndex(", up);
        Assert.Contains("migrationBuilder.CreateDiskAnnIndex(", up);
        using (var db = Context(1))
        {
            var script = db.GetService<IMigrator>().GenerateScript(_migrationIds[0], _migrationIds[1]);
            Assert.DoesNotContain("CREATE VIRTUAL TABLE", script);
            Assert.DoesNotContain("DROP TABLE IF EXISTS \"IX_Docs_Embedding\";", script);
            Assert.Contains("DROP TRIGGER IF EXISTS \"IX_Docs_Embedding_insert\";", script);
            Assert.Contains("CREATE TRIGGER \"IX_Docs_Embedding_insert\"", script);
            AssertKeys(db, [1, 3], [1, 3]);
            Assert.Equal(Triggers("IX_Docs_Embedding"), Schema(db, "trigger"));

            // The new triggers see REPLACE deletions.
            Exec(db, "INSERT OR REPLACE INTO \"Docs\" (\"Id\", \"Title\", \"Embedding\") VALUES (3, 'z', NULL)");
            Exec(db, "INSERT OR REPLACE INTO \"Docs\" (\"Id\", \"Title\", \"Embedding\") VALUES (1, 'x', X'0000803F0000803F00000000')");
            AssertKeys(db, [1], [1]);
            Assert.Equal(1, Nearest<LibraryDoc>(db, "Embedding", [1, 1, 0]));
        }
    }

    [Fact]
    public void Adding_a_unique_index_replaces_the_triggers_and_keeps_the_index()
    {
        CreateWith(
            new LibraryDoc { Title = "x", Embedding = [1, 0, 0] },
            new LibraryDoc { Title = "y", Embedding = [0, 1, 0] });

        var (up, down) = AddAndApply(8, "M2UniqueTitle");
        Assert.Contains("unique: true", up);
        Assert.Contains("uniqueKeys: new[] { new[] { \"Title\" } }", up);
        Assert.Contains("migrationBuilder.DropIndex(", down);
        using (var db = Context(8))
        {
            var script = db.GetService<IMigrator>().GenerateScript(_migrationIds[0], _migrationIds[1]);
            Assert.DoesNotContain("CREATE VIRTUAL TABLE", script);
            Assert.Contains("CREATE TRIGGER \"IX_Docs_Embedding_replaced_before_insert\" BEFORE INSERT ON \"Docs\"", script);

            // A REPLACE through the unique Title deletes row 1: it leaves the index too.
            Exec(db, "INSERT OR REPLACE INTO \"Docs\" (\"Id\", \"Title\", \"Embedding\") VALUES (10, 'x', X'000000000000000000008040')");
            AssertKeys(db, [2, 10], [2, 10]);
            Assert.Equal(10, Nearest<LibraryDoc>(db, "Embedding", [1, 0, 0.1f]));

            // Down: the unique index goes, and so do the triggers that served it; the index keeps its rows.
            db.GetService<IMigrator>().Migrate(_migrationIds[0]);
            Assert.Equal(Triggers("IX_Docs_Embedding"), Schema(db, "trigger"));
            Assert.Null(TableSql(db, "IX_Docs_Embedding_replaced"));
            AssertKeys(db, [2, 10], [2, 10]);
        }
    }

    [Fact]
    public void A_Guid_keyed_index_with_every_option_is_scaffolded_as_one_CreateDiskAnnIndex_call_that_round_trips()
    {
        // The call carries every option, the unique keys, the filter columns and the key map; AddAndApply compiled it with
        // the snapshot (no pending change) and applied it with Migrate().
        var (up, down) = AddAndApply(10, "M1GuidDocs");
        Assert.Contains(
            string.Join(
                "\n",
                "            migrationBuilder.CreateDiskAnnIndex(",
                "                name: \"IX_GuidDocs_Embedding\",",
                "                table: \"GuidDocs\",",
                "                column: \"Embedding\",",
                "                dimension: 3,",
                "                metric: DiskAnnMetric.L2,",
                "                keyColumn: \"Id\",",
                "                maxDegree: 24,",
                "                buildSearchListSize: 80,",
                "                alpha: 1.25,",
                "                searchListSize: 90,",
                "                uniqueKeys: new[] { new[] { \"Slug\" } },",
                "                filterColumns: new[] { new DiskAnnFilterColumn(\"Title\", DiskAnnFilterType.Text) },",
                "                keyMap: true);"),
            up.ReplaceLineEndings("\n"));
        Assert.DoesNotContain(".Annotation(\"DiskAnn:", up);
        Assert.Contains(".Annotation(\"DiskAnn:VirtualTables\", \"IX_GuidDocs_Embedding\")", down);

        using (var db = Context(10))
        {
            Assert.Contains("USING diskann(dimension=3, metric=l2, max_degree=24, build_search_list_size=80, alpha=1.25, search_list_size=90, \"Title\" TEXT)", TableSql(db, "IX_GuidDocs_Embedding"));
            Assert.NotNull(TableSql(db, "IX_GuidDocs_Embedding_keys"));
            var docs = new[]
            {
                new LibraryGuidDoc { Title = "x", Slug = "a", Embedding = [1, 0, 0] },
                new LibraryGuidDoc { Title = "y", Slug = "b", Embedding = [0, 1, 0] },
                new LibraryGuidDoc { Title = "x", Slug = "c", Embedding = [0, 0, 1] },
            };
            db.AddRange(docs);
            db.SaveChanges();
            var query = new float[] { 0.1f, 0.9f, 0.2f };
            _sql.Clear();
            var hits = db.Set<LibraryGuidDoc>().OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).Select(d => d.Id).ToList();
            Assert.Contains("vector MATCH", _sql.Last);
            Assert.Equal([docs[1].Id, docs[2].Id, docs[0].Id], hits);
            var filtered = db.Set<LibraryGuidDoc>().Where(d => d.Title == "x")
                .OrderBy(d => EF.Functions.VectorDistance(d.Embedding, query)).Take(3).Select(d => d.Id).ToList();
            Assert.Equal([docs[2].Id, docs[0].Id], filtered);

            // Down: the index, its key map and its triggers go with the table.
            db.GetService<IMigrator>().Migrate(Migration.InitialDatabase);
            Assert.Empty(UserTables(db));
            Assert.Empty(Schema(db, "trigger"));
        }
    }

    [Fact]
    public void An_index_the_call_cannot_express_is_written_as_EF_Core_writes_it()
    {
        using var db = Context(1);
        var services = new DesignTimeServicesBuilder(typeof(LibraryContext).Assembly, typeof(LibraryContext).Assembly, new RecordingReporter(), [])
            .Build(db);
        using var scope = services.CreateScope();
        var generator = scope.ServiceProvider.GetRequiredService<ICSharpMigrationOperationGenerator>();
        var migrationBuilder = new MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.CreateDiskAnnIndex("idx \"quoted\"", "Docs", "Embedding", 3, keyColumn: "Id");
        migrationBuilder.CreateDiskAnnIndex("other", "Docs", "Embedding", 3).Annotation("Custom:Thing", 1);
        migrationBuilder.DropTable("Docs");
        var code = new Microsoft.EntityFrameworkCore.Infrastructure.IndentedStringBuilder();
        generator.Generate("migrationBuilder", migrationBuilder.Operations, code);
        var text = code.ToString().ReplaceLineEndings("\n");

        Assert.StartsWith("migrationBuilder.CreateDiskAnnIndex(\n    name: \"idx \\\"quoted\\\"\",", text);

        // An annotation the call does not know: EF Core's CreateIndex with every annotation, then EF Core's own operation;
        // the operations are separated as EF Core separates them.
        Assert.Contains(";\n\nmigrationBuilder.CreateIndex(\n    name: \"other\",", text);
        Assert.Contains(".Annotation(\"Custom:Thing\", 1)", text);
        Assert.Contains(".Annotation(\"DiskAnn:Dimension\", 3)", text);
        Assert.EndsWith(";\n\nmigrationBuilder.DropTable(\n    name: \"Docs\");", text);
    }

    private sealed class RecordingReporter : IOperationReporter
    {
        public List<string> Errors { get; } = [];

        public List<string> Verbose { get; } = [];

        public void WriteError(string message) => Errors.Add(message);

        public void WriteWarning(string message)
        {
        }

        public void WriteInformation(string message)
        {
        }

        public void WriteVerbose(string message) => Verbose.Add(message);
    }
}

public class LibraryDoc
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public float[]? Embedding { get; set; }
}

public class LibraryGuidDoc
{
    public Guid Id { get; set; }
    public string Title { get; set; } = "";
    public string? Slug { get; set; }
    public float[]? Embedding { get; set; }
}

public class LibraryDocRenamed
{
    public int Id { get; set; }
    public string Title { get; set; } = "";
    public float[]? Vector { get; set; }
}

/// <summary>
/// One context type whose model has versions (migrations belong to a context type): 1 a cosine index on
/// <c>Docs.Embedding</c>; 2 l2 with max_degree 16; 3 the property renamed to <c>Vector</c>; 4 the table renamed to
/// <c>Papers</c>; 5 no entity; 6 version 1 without the vector property; 7 version 1 with int8 storage and a 1 MiB cache;
/// 8 version 1 with a unique index on <c>Title</c>; 9 version 1 with <c>Title</c> included in the index; 10 a Guid-keyed
/// <c>GuidDocs</c> with a unique <c>Slug</c> and an index with every graph option and <c>Title</c> included.
/// </summary>
public class LibraryContext(string connectionString, int version, Assembly? migrations, SqlCapture capture) : DbContext
{
    public int Version => version;

    protected override void OnConfiguring(DbContextOptionsBuilder optionsBuilder)
        => optionsBuilder
            .UseSqlite(connectionString, o =>
            {
                o.UseDiskAnn();
                if (migrations is not null)
                {
                    o.MigrationsAssembly(migrations);
                }
            })
            .AddInterceptors(capture)
            .ReplaceService<IModelCacheKeyFactory, VersionedModelCacheKeyFactory>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        switch (version)
        {
            case 1:
            case 2:
            {
                var index = modelBuilder.Entity<LibraryDoc>().ToTable("Docs").HasDiskAnnIndex(d => d.Embedding, 3);
                if (version == 2)
                {
                    index.HasMetric(DiskAnnMetric.L2).HasMaxDegree(16);
                }

                break;
            }

            case 3:
            case 4:
                modelBuilder.Entity<LibraryDocRenamed>().ToTable(version == 3 ? "Docs" : "Papers")
                    .HasDiskAnnIndex(d => d.Vector, 3).HasMetric(DiskAnnMetric.L2).HasMaxDegree(16);
                break;

            case 6:
                modelBuilder.Entity<LibraryDoc>().ToTable("Docs").Ignore(d => d.Embedding);
                break;

            case 7:
                modelBuilder.Entity<LibraryDoc>().ToTable("Docs").HasDiskAnnIndex(d => d.Embedding, 3)
                    .HasQuantization(DiskAnnQuantization.Int8)
                    .HasCacheSize(1);
                break;

            case 8:
                modelBuilder.Entity<LibraryDoc>().ToTable("Docs").HasIndex(d => d.Title).IsUnique();
                modelBuilder.Entity<LibraryDoc>().HasDiskAnnIndex(d => d.Embedding, 3);
                break;

            case 9:
                modelBuilder.Entity<LibraryDoc>().ToTable("Docs").HasDiskAnnIndex(d => d.Embedding, 3).IncludeProperties(d => new { d.Title });
                break;

            case 10:
                modelBuilder.Entity<LibraryGuidDoc>().ToTable("GuidDocs").HasIndex(d => d.Slug).IsUnique();
                modelBuilder.Entity<LibraryGuidDoc>().HasDiskAnnIndex(d => d.Embedding, 3)
                    .HasMetric(DiskAnnMetric.L2)
                    .HasMaxDegree(24)
                    .HasBuildSearchListSize(80)
                    .HasAlpha(1.25)
                    .HasSearchListSize(90)
                    .IncludeProperties(d => new { d.Title });
                break;
        }
    }

    private sealed class VersionedModelCacheKeyFactory : IModelCacheKeyFactory
    {
        public object Create(DbContext context, bool designTime) => (context.GetType(), ((LibraryContext)context).Version, designTime);
    }
}
