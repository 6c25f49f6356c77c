using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace Microsoft.EntityFrameworkCore.Storage;

/// <summary>
/// A relational command that, for a nearest-neighbour query, executes on a <see cref="SqliteCommand" /> kept prepared on
/// the connection instead of a new one. Preparing a KNN statement costs about as much as 5-10% of the search itself
/// (SQLite parses it and asks the <c>diskann</c> module to plan it, every time), and neither EF Core nor
/// Microsoft.Data.Sqlite keep prepared statements: EF Core creates and disposes a <see cref="DbCommand" /> per execution.
/// </summary>
/// <remarks>
/// The SQL generator marks the KNN command templates it produces (<see cref="ReusesStatement" />); the plugin's connection
/// rents commands of this type, and <see cref="PopulateFrom" /> carries the mark over. Other queries run exactly as
/// EF Core runs them. When EF Core must raise command events (a command interceptor or a diagnostic listener is
/// registered) the statement is not reused, so every event still sees a command of its own.
/// </remarks>
public class DiskAnnRelationalCommand : RelationalCommand
{
    /// <summary>Creates the command.</summary>
    public DiskAnnRelationalCommand(
        RelationalCommandBuilderDependencies dependencies,
        string commandText,
        string logCommandText,
        IReadOnlyList<IRelationalParameter> parameters,
        bool reusesStatement,
        DiskAnnExactFallback? exactFallback = null)
        : base(dependencies, commandText, logCommandText, parameters)
    {
        ReusesStatement = reusesStatement;
        ExactFallback = exactFallback;
    }

    /// <summary>True when this command's statement is kept prepared on the connection between executions.</summary>
    public virtual bool ReusesStatement { get; private set; }

    /// <summary>The exact form of this KNN command, run instead when a k is above the module's ceiling; or null.</summary>
    public virtual DiskAnnExactFallback? ExactFallback { get; private set; }

    /// <inheritdoc />
    public override void PopulateFrom(IRelationalCommandTemplate commandTemplate)
    {
        base.PopulateFrom(commandTemplate);
        ReusesStatement = commandTemplate is DiskAnnRelationalCommand { ReusesStatement: true };
        ExactFallback = (commandTemplate as DiskAnnRelationalCommand)?.ExactFallback;
    }

    /// <inheritdoc />
    public override DbCommand CreateDbCommand(
        RelationalCommandParameterObject parameterObject,
        Guid commandId,
        DbCommandMethod commandMethod)
    {
        // A k above the module's ceiling: the same query with exact scans (its own text and parameters), so that it
        // returns the right rows rather than fail inside SQLite.
        // It is logged (DiskAnnEventId.ExactScanFallback), every time, since the values bound decide.
        if (ExactFallback is { } exact && exact.ExceedingK(parameterObject.ParameterValues) is { } k)
        {
            parameterObject.Context?.GetService<IDiagnosticsLogger<DbLoggerCategory.Query>>().ExactScanFallback(DiskAnnExactFallback.Reason(k));
            return exact.Command.CreateDbCommand(parameterObject, commandId, commandMethod);
        }

        var connection = parameterObject.Connection;
        if (!ReusesStatement
            || commandMethod != DbCommandMethod.ExecuteReader
            || connection.DbConnection is not SqliteConnection { State: System.Data.ConnectionState.Open } sqlite
            || parameterObject.Logger?.ShouldLogCommandCreate(DateTimeOffset.UtcNow) == true)
        {
            return base.CreateDbCommand(parameterObject, commandId, commandMethod);
        }

        // What RelationalCommand.CreateDbCommand does without events, on a command whose statement may already be
        // prepared: setting the same CommandText keeps it.
        var statements = connection is DiskAnnRelationalConnection own
            ? own.PreparedStatements(sqlite)
            : DiskAnnPreparedStatements.For(sqlite);
        var command = statements.Rent(CommandText, connection.CommandTimeout);
        command.CommandText = CommandText;
        ((DbCommand)command).Transaction = connection.CurrentTransaction?.GetDbTransaction();
        if (connection.CommandTimeout is { } timeout)
        {
            command.CommandTimeout = timeout;
        }

        for (var i = 0; i < Parameters.Count; i++)
        {
            Parameters[i].AddDbParameter(command, parameterObject.ParameterValues);
        }

        return command;
    }
}
