using System.Globalization;
using System.Text;

namespace DiskAnn.Benchmarks;

/// <summary>A markdown table printed to stdout (and collected for the <c>all</c> command's report).</summary>
public sealed class MarkdownTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public MarkdownTable Add(params object?[] cells)
    {
        _rows.Add(cells.Select(Format).ToArray());
        return this;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("| ").Append(string.Join(" | ", headers)).AppendLine(" |");
        sb.Append('|').Append(string.Concat(headers.Select(_ => " --- |"))).AppendLine();
        foreach (var row in _rows)
        {
            sb.Append("| ").Append(string.Join(" | ", row)).AppendLine(" |");
        }

        return sb.ToString();
    }

    private static string Format(object? cell) => cell switch
    {
        null => "",
        double d => d.ToString(Math.Abs(d) >= 100 ? "N0" : Math.Abs(d) >= 10 ? "0.0" : "0.000", CultureInfo.InvariantCulture),
        float f => Format((double)f),
        int or long => string.Format(CultureInfo.InvariantCulture, "{0:N0}", cell),
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "",
    };
}

public static class Report
{
    private static readonly StringBuilder Collected = new();

    public static string Text => Collected.ToString();

    public static void Heading(string text) => Write($"\n### {text}\n");

    public static void Line(string text) => Write(text);

    public static void Table(MarkdownTable table) => Write(table.ToString());

    /// <summary>Progress goes to stderr so stdout stays a clean markdown report.</summary>
    public static void Progress(string text) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {text}");

    public static string Ms(double seconds) => (seconds * 1000).ToString("0.000", CultureInfo.InvariantCulture);

    public static string Mb(long bytes) => (bytes / 1e6).ToString("0.0", CultureInfo.InvariantCulture);

    public static string X(double ratio) => ratio.ToString(ratio >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture) + "x";

    private static void Write(string text)
    {
        Console.WriteLine(text);
        Collected.AppendLine(text);
    }
}
