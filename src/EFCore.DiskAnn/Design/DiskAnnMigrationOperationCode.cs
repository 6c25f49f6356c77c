using System.Globalization;
using System.Text;
using DiskAnn;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations.Operations;

namespace Microsoft.EntityFrameworkCore.Design;

/// <summary>
/// Writes the C# of a scaffolded migration's <c>diskann</c> <see cref="CreateIndexOperation" /> as the plugin's own call,
/// <c>migrationBuilder.CreateDiskAnnIndex(name: ..., table: ..., column: ..., dimension: ..., metric: ...)</c>, instead of
/// EF Core's <c>CreateIndex(...)</c> with opaque <c>.Annotation("DiskAnn:...")</c> calls. The call builds an operation with
/// the same annotations, so the migration runs the same SQL; an operation the call cannot express exactly (another
/// annotation, a schema, a unique or filtered index, no key column) is left to EF Core's writer.
/// </summary>
internal static class DiskAnnMigrationOperationCode
{
    /// <summary>The namespaces the written calls need: the extension method's, the enums', the filter columns'.</summary>
    public static readonly string[] Namespaces =
        ["Microsoft.EntityFrameworkCore", typeof(DiskAnnMetric).Namespace!, typeof(DiskAnnFilterColumn).Namespace!];

    /// <summary>The name of the method written, which the code generator looks for to add <see cref="Namespaces" />.</summary>
    public const string MethodName = nameof(DiskAnnMigrationBuilderExtensions.CreateDiskAnnIndex);

    // The annotations CreateDiskAnnIndex writes back from its arguments (Triggers is the model's: no operation reads it).
    private static readonly HashSet<string> Expressed =
    [
        DiskAnnAnnotationNames.Dimension, DiskAnnAnnotationNames.Metric, DiskAnnAnnotationNames.MaxDegree,
        DiskAnnAnnotationNames.BuildSearchListSize, DiskAnnAnnotationNames.Alpha, DiskAnnAnnotationNames.SearchListSize,
        DiskAnnAnnotationNames.Quantization, DiskAnnAnnotationNames.CacheSizeMb, DiskAnnAnnotationNames.FilterColumns,
        DiskAnnAnnotationNames.KeyColumn, DiskAnnAnnotationNames.KeyMap, DiskAnnAnnotationNames.UniqueKeys,
        DiskAnnAnnotationNames.Triggers,
    ];

    /// <summary>
    /// Writes <c>{builderName}.CreateDiskAnnIndex(...)</c> (without the final semicolon, as EF Core's writer leaves it) when
    /// <paramref name="operation" /> is a <c>diskann</c> index the call expresses exactly; otherwise writes nothing.
    /// </summary>
    public static bool TryWrite(string builderName, MigrationOperation operation, IndentedStringBuilder builder)
    {
        if (operation is not CreateIndexOperation
            {
                Schema: null, IsUnique: false, Filter: null, IsDescending: null, Columns: [var column],
            } create
            || create.Table is null
            || DiskAnnIndexOptions.FromAnnotations(create.GetAnnotations()) is not { } options
            || create.FindAnnotation(DiskAnnAnnotationNames.KeyColumn)?.Value is not string keyColumn
            || create.GetAnnotations().Any(a => !Expressed.Contains(a.Name)))
        {
            return false;
        }

        var arguments = new List<string>
        {
            "name: " + Literal(create.Name),
            "table: " + Literal(create.Table),
            "column: " + Literal(column),
            "dimension: " + Literal(options.Dimension),
            "metric: " + nameof(DiskAnnMetric) + "." + options.Metric,
            "keyColumn: " + Literal(keyColumn),
        };
        Add("maxDegree", options.MaxDegree);
        Add("buildSearchListSize", options.BuildSearchListSize);
        if (options.Alpha is { } alpha)
        {
            arguments.Add("alpha: " + alpha.ToString("R", CultureInfo.InvariantCulture));
        }

        Add("searchListSize", options.SearchListSize);
        if (options.Quantization != DiskAnnQuantization.None)
        {
            arguments.Add("quantization: " + nameof(DiskAnnQuantization) + "." + options.Quantization);
        }

        Add("cacheSizeMb", options.CacheSizeMb);
        if (create.FindAnnotation(DiskAnnAnnotationNames.UniqueKeys)?.Value is string uniqueKeys)
        {
            arguments.Add("uniqueKeys: " + NewArray(
                "string[]",
                DiskAnnUniqueKeys.Parse(uniqueKeys).Select(columns => NewArray("string", columns.Select(Literal)))));
        }

        if (options.FilterColumns is { Count: > 0 } filterColumns)
        {
            arguments.Add("filterColumns: " + NewArray(
                nameof(DiskAnnFilterColumn),
                filterColumns.Select(c => $"new {nameof(DiskAnnFilterColumn)}({Literal(c.Name)}, {nameof(DiskAnnFilterType)}.{c.Type}"
                    + (c.PartitionKey ? ", PartitionKey: true)" : ")"))));
        }

        if (create.FindAnnotation(DiskAnnAnnotationNames.KeyMap)?.Value is bool keyMap)
        {
            arguments.Add("keyMap: " + (keyMap ? "true" : "false"));
        }

        builder.Append(builderName).AppendLine("." + MethodName + "(");
        using (builder.Indent())
        {
            for (var i = 0; i < arguments.Count; i++)
            {
                builder.Append(arguments[i]);
                if (i < arguments.Count - 1)
                {
                    builder.AppendLine(",");
                }
            }

            builder.Append(")");
        }

        return true;

        void Add(string name, int? value)
        {
            if (value is { } set)
            {
                arguments.Add(name + ": " + Literal(set));
            }
        }
    }

    private static string Literal(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A C# string literal.</summary>
    private static string Literal(string value)
    {
        var literal = new StringBuilder("\"");
        foreach (var c in value)
        {
            literal.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture),
                _ => c.ToString(),
            });
        }

        return literal.Append('"').ToString();
    }

    /// <summary><c>new[] { a, b }</c>, or <c>System.Array.Empty&lt;T&gt;()</c> when empty.</summary>
    private static string NewArray(string elementType, IEnumerable<string> elements)
    {
        var items = elements.ToList();
        return items.Count == 0 ? $"System.Array.Empty<{elementType}>()" : "new[] { " + string.Join(", ", items) + " }";
    }
}
