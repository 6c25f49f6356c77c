using System.Text;

namespace Microsoft.EntityFrameworkCore.Metadata;

/// <summary>
/// The text of the <see cref="DiskAnnAnnotationNames.UniqueKeys" /> annotation: each UNIQUE constraint's columns as
/// double-quoted names separated by commas, constraints separated by semicolons, for example
/// <c>"Slug"; "Lang", "Title"</c>. Constraints are sorted, so that the same constraints give the same text.
/// </summary>
public static class DiskAnnUniqueKeys
{
    /// <summary>The annotation text of <paramref name="constraints" />, or <see langword="null" /> when there are none.</summary>
    public static string? Format(IEnumerable<IEnumerable<string>> constraints)
    {
        var texts = constraints
            .Select(columns => string.Join(", ", columns.Select(Quote)))
            .Where(t => t.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return texts.Count == 0 ? null : string.Join("; ", texts);
    }

    /// <summary>Reads the constraints back from <see cref="Format" />'s text (none for <see langword="null" />).</summary>
    public static IReadOnlyList<IReadOnlyList<string>> Parse(string? text)
    {
        var constraints = new List<IReadOnlyList<string>>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return constraints;
        }

        var columns = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                columns.Add(ReadQuoted(text, ref i) ?? throw Invalid(text));
            }
            else if (c == ';')
            {
                Add();
                i++;
            }
            else if (c == ',' || char.IsWhiteSpace(c))
            {
                i++;
            }
            else
            {
                throw Invalid(text);
            }
        }

        Add();
        return constraints;

        void Add()
        {
            if (columns.Count > 0)
            {
                constraints.Add(columns);
                columns = [];
            }
        }
    }

    /// <summary>A name in double quotes, its quotes doubled: <c>"Lang"</c>.</summary>
    internal static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Reads the double-quoted name that starts at <paramref name="i" /> (doubled quotes inside), leaving <paramref name="i" />
    /// after its closing quote; <see langword="null" /> when the text ends before it.
    /// </summary>
    internal static string? ReadQuoted(string text, ref int i)
    {
        var name = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                if (i + 1 < text.Length && text[i + 1] == '"')
                {
                    name.Append('"');
                    i += 2;
                    continue;
                }

                i++;
                return name.ToString();
            }

            name.Append(text[i++]);
        }

        return null;
    }

    private static InvalidOperationException Invalid(string text)
        => new($"The {DiskAnnAnnotationNames.UniqueKeys} annotation '{text}' cannot be read: write each column in double quotes, "
            + "columns separated by commas and constraints by semicolons, for example \"Slug\"; \"Lang\", \"Title\".");
}
