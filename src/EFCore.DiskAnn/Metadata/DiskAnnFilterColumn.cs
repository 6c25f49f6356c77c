using System.Globalization;
using DiskAnn;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>The type of a filter column of a <c>diskann</c> index, as the module declares it.</summary>
public enum DiskAnnFilterType
{
    /// <summary><c>INTEGER</c>: integers, booleans, enums and anything SQLite stores as INTEGER.</summary>
    Integer,

    /// <summary><c>REAL</c>: <c>float</c>, <c>double</c>, <c>decimal</c> and anything SQLite stores as REAL.</summary>
    Real,

    /// <summary><c>TEXT</c>: strings, and what EF Core's SQLite provider stores as TEXT (dates, times, GUIDs).</summary>
    Text,
}

/// <summary>
/// A filter column of a <c>diskann</c> index (an included property, or the partition key): a column of the virtual table
/// named after the entity table's column, which the triggers copy and a filtered search evaluates. Its declaration is
/// the module's: <c>"Lang" TEXT</c>, <c>"TenantId" INTEGER PARTITION KEY</c>.
/// </summary>
/// <param name="Name">The column's name, the same in the entity table and in the index.</param>
/// <param name="Type">The column's type in the index.</param>
/// <param name="PartitionKey">Whether the column is the index's PARTITION KEY (INTEGER or TEXT).</param>
public sealed record DiskAnnFilterColumn(string Name, DiskAnnFilterType Type, bool PartitionKey = false)
{
    private const string PartitionKeyClause = " PARTITION KEY";

    private static readonly string[] TypeNames = ["INTEGER", "REAL", "TEXT"];

    /// <summary>
    /// The names the module keeps for its own columns (compared in any case): a filter column cannot take them.
    /// </summary>
    public static IReadOnlyList<string> ReservedNames { get; } = ["vector", "distance", "k", "search_list_size", "rowid", "oid", "_rowid_"];

    /// <summary>The module's declaration, for example <c>"TenantId" INTEGER PARTITION KEY</c>.</summary>
    public string Declaration => DiskAnnUniqueKeys.Quote(Name) + " " + TypeName(Type) + (PartitionKey ? PartitionKeyClause : "");

    /// <summary>The module's spelling of a type: <c>INTEGER</c>, <c>REAL</c> or <c>TEXT</c>.</summary>
    public static string TypeName(DiskAnnFilterType type) => TypeNames[(int)type];

    /// <summary>The declarations separated by commas, as written in the module's arguments and the annotation.</summary>
    public static string Format(IEnumerable<DiskAnnFilterColumn> columns) => string.Join(", ", columns.Select(c => c.Declaration));

    /// <summary>Reads <see cref="Format" />'s text back (none for <see langword="null" /> or blank).</summary>
    public static IReadOnlyList<DiskAnnFilterColumn> Parse(string? text)
    {
        var columns = new List<DiskAnnFilterColumn>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return columns;
        }

        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == ',' || char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            var name = text[i] == '"' ? DiskAnnUniqueKeys.ReadQuoted(text, ref i) : null;
            var end = text.IndexOf(',', i);
            var rest = (end < 0 ? text[i..] : text[i..end]).Trim();
            i = end < 0 ? text.Length : end;
            var partitionKey = rest.EndsWith(PartitionKeyClause, StringComparison.OrdinalIgnoreCase);
            var typeName = partitionKey ? rest[..^PartitionKeyClause.Length].TrimEnd() : rest;
            var type = Array.FindIndex(TypeNames, t => t.Equals(typeName, StringComparison.OrdinalIgnoreCase));
            if (name is null || type < 0)
            {
                throw new InvalidOperationException(
                    $"The {DiskAnnAnnotationNames.FilterColumns} annotation '{text}' cannot be read: write each column as "
                    + "\"Name\" TYPE, with TYPE one of INTEGER, REAL or TEXT, the partition key followed by PARTITION KEY, "
                    + "separated by commas.");
            }

            columns.Add(new DiskAnnFilterColumn(name, (DiskAnnFilterType)type, partitionKey));
        }

        return columns;
    }

    /// <summary>
    /// The filter type of a column of the entity table: decimal (which EF Core's SQLite provider stores as TEXT) is REAL;
    /// otherwise the store type's SQLite affinity, INTEGER, REAL or TEXT; <see langword="null" /> for anything else
    /// (BLOB, NUMERIC).
    /// </summary>
    /// <param name="storeType">The column's store type, for example <c>TEXT</c>.</param>
    /// <param name="providerClrType">The CLR type of the values written to the column (after any value converter).</param>
    public static DiskAnnFilterType? TypeOf(string? storeType, Type providerClrType)
    {
        if ((Nullable.GetUnderlyingType(providerClrType) ?? providerClrType) == typeof(decimal))
        {
            return DiskAnnFilterType.Real;
        }

        // SQLite's affinity rules (https://sqlite.org/datatype3.html#determination_of_column_affinity), in their order.
        var type = (storeType ?? "").ToUpperInvariant();
        if (type.Contains("INT", StringComparison.Ordinal))
        {
            return DiskAnnFilterType.Integer;
        }

        if (type.Contains("CHAR", StringComparison.Ordinal) || type.Contains("CLOB", StringComparison.Ordinal) || type.Contains("TEXT", StringComparison.Ordinal))
        {
            return DiskAnnFilterType.Text;
        }

        if (type.Contains("REAL", StringComparison.Ordinal) || type.Contains("FLOA", StringComparison.Ordinal) || type.Contains("DOUB", StringComparison.Ordinal))
        {
            return DiskAnnFilterType.Real;
        }

        return null;
    }

    /// <summary>The most filter columns an index may have (<see cref="DiskAnnLimits.MaxFilterColumns" />).</summary>
    public static int MaxCount => DiskAnnLimits.MaxFilterColumns;

    /// <summary>Describes the column for messages: <c>Lang (TEXT)</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({TypeName(Type)}{(PartitionKey ? PartitionKeyClause : "")})");
}
