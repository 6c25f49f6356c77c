using Microsoft.Data.Sqlite;

namespace DiskAnn.VectorData;

/// <summary>Binding values to a reused command: its parameters are created on first use and only their values change afterwards.</summary>
internal static class CommandExtensions
{
    public static void Bind(this SqliteCommand command, string name, object? value)
    {
        var parameters = command.Parameters;
        var index = parameters.IndexOf(name);
        if (index >= 0)
        {
            parameters[index].Value = value ?? DBNull.Value;
        }
        else
        {
            parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    public static void Bind(this SqliteCommand command, List<KeyValuePair<string, object>> values)
    {
        foreach (var (name, value) in values)
        {
            command.Bind(name, value);
        }
    }
}
