using System.Text;

namespace DiskAnn.VectorData;

/// <summary>SQL text helpers: every name the connector writes into SQL is quoted, so any collection or property name is safe.</summary>
internal static class Sql
{
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    public static string Literal(string text) => "'" + text.Replace("'", "''") + "'";

    public static StringBuilder AppendQuoted(this StringBuilder sql, string identifier) => sql.Append(Quote(identifier));
}
