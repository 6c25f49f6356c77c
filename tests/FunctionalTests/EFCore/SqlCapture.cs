using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace FunctionalTests.EFCore;

/// <summary>Records the text of every command EF Core runs, for baseline assertions.</summary>
public sealed class SqlCapture : DbCommandInterceptor
{
    private readonly List<string> _commands = [];

    public IReadOnlyList<string> Commands
    {
        get
        {
            lock (_commands)
            {
                return _commands.ToList();
            }
        }
    }

    public string Last => Commands[^1];

    public void Clear()
    {
        lock (_commands)
        {
            _commands.Clear();
        }
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Add(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Add(command);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> NonQueryExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<int> result)
    {
        Add(command);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Add(command);
        return ValueTask.FromResult(result);
    }

    private void Add(DbCommand command)
    {
        lock (_commands)
        {
            _commands.Add(command.CommandText);
        }
    }

    /// <summary>Compares SQL ignoring line-ending differences and trailing whitespace.</summary>
    public static void AssertSql(string expected, string actual)
    {
        if (Environment.GetEnvironmentVariable("DISKANN_SQL_DUMP") is { Length: > 0 } dump)
        {
            File.AppendAllText(dump, actual + "\n-----\n");
        }

        Assert.Equal(Normalize(expected), Normalize(actual));
    }

    private static string Normalize(string sql)
        => string.Join("\n", sql.Replace("\r\n", "\n").Trim().Split('\n').Select(l => l.TrimEnd()));
}
