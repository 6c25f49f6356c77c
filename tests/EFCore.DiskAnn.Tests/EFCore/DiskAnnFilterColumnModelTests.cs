using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace EFCore.DiskAnn.Tests.EFCore;

public class Offer
{
    public int Id { get; set; }
    public string? Lang { get; set; }
    public double Price { get; set; }
    public decimal Fee { get; set; }
    public DateTime Published { get; set; }
    public Guid Code { get; set; }
    public OfferKind Kind { get; set; }
    public bool Active { get; set; }
    public int TenantId { get; set; }
    public string Region { get; set; } = "";
    public byte[]? Thumbnail { get; set; }
    public float[] Embedding { get; set; } = [];
}

public enum OfferKind
{
    Sale,
    Rent,
}

/// <summary>IncludeProperties and HasPartitionKey: the annotations, the filter columns they make, and the model's checks.</summary>
public class DiskAnnFilterColumnModelTests
{
    private static PagesContext Offers(Action<EntityTypeBuilder<Offer>> configure)
        => new(b =>
        {
            b.Ignore<Page>();
            configure(b.Entity<Offer>());
        });

    private static IReadOnlyList<DiskAnnFilterColumn>? FilterColumns(DbContext db)
        => db.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable("Offer", null)!.Indexes.Single().GetDiskAnnOptions()!.FilterColumns;

    [Fact]
    public void Included_properties_and_the_partition_key_become_typed_filter_columns()
    {
        using var db = Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8)
            .IncludeProperties(o => new { o.Lang, o.Price, o.Fee, o.Published, o.Code, o.Kind, o.Active })
            .HasPartitionKey(o => o.TenantId));
        var index = db.GetService<IDesignTimeModel>().Model.FindEntityType(typeof(Offer))!.GetIndexes().Single();
        Assert.Equal(new[] { "Lang", "Price", "Fee", "Published", "Code", "Kind", "Active" }, index[DiskAnnAnnotationNames.IncludeProperties]);
        Assert.Equal("TenantId", index[DiskAnnAnnotationNames.PartitionKey]);
        Assert.Equal(
            "dimension=8, metric=cosine, \"Lang\" TEXT, \"Price\" REAL, \"Fee\" REAL, \"Published\" TEXT, \"Code\" TEXT, \"Kind\" INTEGER, "
            + "\"Active\" INTEGER, \"TenantId\" INTEGER PARTITION KEY",
            db.GetService<IDesignTimeModel>().Model.GetRelationalModel().FindTable("Offer", null)!.Indexes.Single().GetDiskAnnOptions()!.ToModuleArguments());
    }

    [Fact]
    public void String_names_a_column_name_and_a_value_converter_are_followed()
    {
        using var db = Offers(e =>
        {
            e.Property(o => o.Region).HasColumnName("region_code");
            e.Property(o => o.Published).HasConversion<long>();
            e.HasDiskAnnIndex(nameof(Offer.Embedding), 8).IncludeProperties(nameof(Offer.Published)).HasPartitionKey(nameof(Offer.Region));
        });
        Assert.Equal(
            [new DiskAnnFilterColumn("Published", DiskAnnFilterType.Integer), new DiskAnnFilterColumn("region_code", DiskAnnFilterType.Text, PartitionKey: true)],
            FilterColumns(db));
    }

    [Fact]
    public void The_partition_key_may_also_be_included_and_is_declared_once()
    {
        using var db = Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties(o => new { o.TenantId, o.Lang }).HasPartitionKey(o => o.TenantId));
        Assert.Equal(
            [new DiskAnnFilterColumn("TenantId", DiskAnnFilterType.Integer, PartitionKey: true), new DiskAnnFilterColumn("Lang", DiskAnnFilterType.Text)],
            FilterColumns(db));
    }

    [Fact]
    public void Annotation_text_round_trips()
    {
        IReadOnlyList<DiskAnnFilterColumn> columns =
            [new("Lang", DiskAnnFilterType.Text), new("odd \"name\", with comma", DiskAnnFilterType.Real), new("Tenant", DiskAnnFilterType.Integer, true)];
        var text = DiskAnnFilterColumn.Format(columns);
        Assert.Equal("\"Lang\" TEXT, \"odd \"\"name\"\", with comma\" REAL, \"Tenant\" INTEGER PARTITION KEY", text);
        Assert.Equal(columns, DiskAnnFilterColumn.Parse(text));
        Assert.Throws<InvalidOperationException>(() => DiskAnnFilterColumn.Parse("\"Lang\" BLOB"));
    }

    [Fact]
    public void An_unsupported_type_is_refused_with_the_property_and_the_supported_types()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties(o => new { o.Lang, o.Thumbnail })).Model);
        Assert.Equal(
            "The diskann index on 'Offer' includes 'Thumbnail' of type byte[], stored as BLOB: an included property must be stored as INTEGER "
            + "(integers, bool, enums), REAL (float, double, decimal) or TEXT (string, dates and times, Guid); give it a value converter to one of them.",
            error.Message);
    }

    [Fact]
    public void A_REAL_partition_key_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).HasPartitionKey(o => o.Price)).Model);
        Assert.Equal(
            "The diskann index on 'Offer' has the partition key 'Price' of type double, stored as REAL: a partition key must be stored as INTEGER or TEXT.",
            error.Message);
    }

    [Fact]
    public void An_unknown_property_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties("Lang", "Colour")).Model);
        Assert.Equal("The diskann index on 'Offer' includes 'Colour', which is not a property of 'Offer'.", error.Message);
    }

    [Theory]
    [InlineData("Embedding", "includes 'Embedding', its own vector property.")]
    [InlineData("Id", "includes 'Id', the key: the index finds rows by their key already")]
    public void The_vector_and_the_key_are_refused(string property, string message)
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties(property)).Model);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void A_property_included_twice_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => Offers(e => e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties("Lang", "Price", "Lang")).Model);
        Assert.Equal("The diskann index on 'Offer' includes 'Lang' twice.", error.Message);
    }

    [Fact]
    public void A_reserved_column_name_and_a_collation_are_refused()
    {
        var reserved = Assert.Throws<InvalidOperationException>(
            () => Offers(e =>
            {
                e.Property(o => o.Lang).HasColumnName("Distance");
                e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties(o => o.Lang);
            }).Model);
        Assert.StartsWith("The diskann index on 'Offer': A diskann filter column cannot be named 'Distance'", reserved.Message);

        var collated = Assert.Throws<InvalidOperationException>(
            () => Offers(e =>
            {
                e.Property(o => o.Lang).UseCollation("NOCASE");
                e.HasDiskAnnIndex(o => o.Embedding, 8).IncludeProperties(o => o.Lang);
            }).Model);
        Assert.Contains("includes 'Lang' with the collation NOCASE: the index compares text byte by byte (BINARY)", collated.Message);
    }
}

/// <summary>The SQL of filter columns in hand-written migrations.</summary>
public class DiskAnnFilterColumnSqlGenerationTests
{
    [Fact]
    public void Hand_written_index_with_filter_columns_creates_fills_and_syncs_them()
    {
        using var db = new PagesContext();
        var migrationBuilder = new Microsoft.EntityFrameworkCore.Migrations.MigrationBuilder("Microsoft.EntityFrameworkCore.Sqlite");
        migrationBuilder.CreateDiskAnnIndex(
            "docs_idx", "Docs", "Vector", 384,
            filterColumns: [new("Lang", DiskAnnFilterType.Text), new("TenantId", DiskAnnFilterType.Integer, PartitionKey: true)]);
        var sql = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrationsSqlGenerator>().Generate(migrationBuilder.Operations)
            .Select(c => c.CommandText.Replace("\r\n", "\n", StringComparison.Ordinal).Trim()).ToList();
        Assert.Equal("CREATE VIRTUAL TABLE \"docs_idx\" USING diskann(dimension=384, metric=cosine, \"Lang\" TEXT, \"TenantId\" INTEGER PARTITION KEY);", sql[0]);
        Assert.Equal(
            "INSERT INTO \"docs_idx\"(rowid, vector, \"Lang\", \"TenantId\")\nSELECT \"Id\", \"Vector\", \"Lang\", \"TenantId\"\nFROM \"Docs\"\nWHERE \"Vector\" IS NOT NULL;",
            sql[1]);
        Assert.Equal(
            """
            CREATE TRIGGER "docs_idx_insert" AFTER INSERT ON "Docs"
            BEGIN
                DELETE FROM "docs_idx" WHERE rowid = new."Id" AND new."Vector" IS NULL;
                UPDATE "docs_idx" SET vector = new."Vector", "Lang" = new."Lang", "TenantId" = new."TenantId" WHERE rowid = new."Id" AND new."Vector" IS NOT NULL;
                INSERT INTO "docs_idx"(rowid, vector, "Lang", "TenantId") SELECT new."Id", new."Vector", new."Lang", new."TenantId"
                    WHERE new."Vector" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "docs_idx" WHERE rowid = new."Id");
            END;
            """.Replace("\r\n", "\n", StringComparison.Ordinal),
            sql[2]);
        Assert.StartsWith(
            "CREATE TRIGGER \"docs_idx_update\" AFTER UPDATE OF \"Vector\", \"Id\", \"Lang\", \"TenantId\" ON \"Docs\"\n"
            + "WHEN old.\"Vector\" IS NOT new.\"Vector\" OR old.\"Id\" IS NOT new.\"Id\" OR old.\"Lang\" IS NOT new.\"Lang\" OR old.\"TenantId\" IS NOT new.\"TenantId\"\n",
            sql[3]);
    }
}
