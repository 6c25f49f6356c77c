using System.Reflection;

namespace Microsoft.EntityFrameworkCore.Design;

/// <summary>
/// Stands in for EF Core's <c>IMigrationsCodeGenerator</c> (C#): a migration whose code calls <c>CreateDiskAnnIndex</c>
/// gets the <c>using</c> directives the call needs. EF Core derives a migration's usings from its operations' column and
/// annotation types, which the operation generator cannot extend, so they are added to the generated text's using block
/// (in EF Core's order: System first, then the others alphabetically).
/// </summary>
internal class DiskAnnMigrationsCodeGeneratorProxy : DispatchProxy
{
    private const string Using = "using ";

    /// <summary>EF Core's generator.</summary>
    public object Inner { get; set; } = null!;

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        object? result;
        try
        {
            result = targetMethod.Invoke(Inner, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }

        return targetMethod.Name == "GenerateMigration" && result is string code && code.Contains("." + DiskAnnMigrationOperationCode.MethodName + "(", StringComparison.Ordinal)
            ? AddUsings(code, DiskAnnMigrationOperationCode.Namespaces)
            : result;
    }

    /// <summary>Adds <paramref name="namespaces" /> to the using directives at the top of <paramref name="code" />.</summary>
    internal static string AddUsings(string code, IEnumerable<string> namespaces)
    {
        var newLine = code.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = code.Split(newLine).ToList();

        // The using block: the first run of "using X;" lines (after a byte order mark or comments, if any).
        var start = lines.FindIndex(l => l.TrimStart('\uFEFF').StartsWith(Using, StringComparison.Ordinal));
        if (start < 0)
        {
            return code;
        }

        var bom = lines[start].StartsWith('\uFEFF') ? "\uFEFF" : "";
        var end = start;
        while (end < lines.Count && lines[end].TrimStart('\uFEFF').StartsWith(Using, StringComparison.Ordinal) && lines[end].EndsWith(';'))
        {
            end++;
        }

        var usings = lines.Skip(start).Take(end - start)
            .Select(l => l.TrimStart('\uFEFF')[Using.Length..^1])
            .Concat(namespaces)
            .Distinct(StringComparer.Ordinal)
            .OrderBy(n => n == "System" || n.StartsWith("System.", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(n => n, StringComparer.Ordinal)
            .Select((n, i) => (i == 0 ? bom : "") + Using + n + ";")
            .ToList();
        lines.RemoveRange(start, end - start);
        lines.InsertRange(start, usings);
        return string.Join(newLine, lines);
    }
}
