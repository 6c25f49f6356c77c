using System.Text.RegularExpressions;
using DiskAnn.Filters;
using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// Reads the filter column declarations among a table's options: <c>name TYPE</c> or <c>name TYPE PARTITION KEY</c>
/// (TYPE one of TEXT, INTEGER, REAL; the partition key INTEGER or TEXT). Every mistake fails CREATE with a message
/// naming the column, before anything is created.
/// </summary>
internal static partial class FilterColumnDeclaration
{
    [GeneratedRegex(@"^(?<name>[A-Za-z_][A-Za-z0-9_]*|""(?:[^""]|"""")+"")\s+(?<type>\S+)(?<key>\s+PARTITION\s+KEY)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();

    public static FilterColumn Parse(string text)
    {
        var match = Syntax().Match(text);
        if (!match.Success)
        {
            throw Fail($"diskann: cannot read '{text}': an option is written name=value (dimension=384), a filter column name TYPE (lang TEXT) or name TYPE PARTITION KEY, with TYPE one of {string.Join(", ", FilterTypes.Names)}");
        }

        var name = match.Groups["name"].Value;
        if (name.StartsWith('"'))
        {
            name = name[1..^1].Replace("\"\"", "\"");
        }

        var typeName = match.Groups["type"].Value;
        var type = FilterTypes.Parse(typeName)
            ?? throw Fail($"diskann: filter column '{name}' has type '{typeName}': a filter column is {string.Join(", ", FilterTypes.Names)} (for example lang TEXT){(typeName.Contains('=') ? "; an option is written name=value" : "")}");
        var partitionKey = match.Groups["key"].Success;
        if (partitionKey && type == FilterType.Real)
        {
            throw Fail($"diskann: filter column '{name}' cannot be the PARTITION KEY: a partition key is INTEGER or TEXT");
        }

        if (TableNames.IsReserved(name))
        {
            throw Fail($"diskann: a filter column cannot be named '{name}': vector, distance, k, search_list_size and rowid are the table's own columns (any case); choose another name");
        }

        return new FilterColumn(name, type, partitionKey);
    }

    /// <summary>The declarations together: no name twice, at most one partition key, at most the documented number.</summary>
    public static void Check(IReadOnlyList<FilterColumn> columns)
    {
        if (columns.Count > DiskAnnLimits.MaxFilterColumns)
        {
            throw Fail($"diskann: a table may declare at most {DiskAnnLimits.MaxFilterColumns} filter columns, got {columns.Count}");
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var column in columns)
        {
            if (!seen.Add(column.Name))
            {
                throw Fail($"diskann: filter column '{column.Name}' is declared twice (names are compared in any case)");
            }
        }

        var keys = columns.Where(c => c.PartitionKey).Select(c => c.Name).ToList();
        if (keys.Count > 1)
        {
            throw Fail($"diskann: a table has at most one PARTITION KEY, got {string.Join(" and ", keys)}");
        }
    }

    private static SqliteCallException Fail(string message) => new(SqliteConstants.ERROR, message);
}
