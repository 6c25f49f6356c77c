using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Sqlite.Storage.Internal;
using Microsoft.EntityFrameworkCore.Storage;

namespace Microsoft.EntityFrameworkCore.Infrastructure;

/// <summary>
/// SQLite's relational connection, which also makes sure the <c>diskann</c> module is loaded on a connection the
/// application opened itself (EF Core raises no "opened" event for it). EF Core calls <see cref="Open" /> before every
/// command; when the module is already there the check is one weak-table lookup. Its rented commands are
/// <see cref="DiskAnnRelationalCommand" />s, so a KNN query can run on a statement kept prepared.
/// </summary>
public class DiskAnnRelationalConnection : SqliteRelationalConnection
{
    private readonly RelationalCommandBuilderDependencies _commandDependencies;
    private IRelationalCommand? _cachedCommand;
    private DiskAnnPreparedStatements? _preparedStatements;

    /// <summary>Creates the connection.</summary>
    public DiskAnnRelationalConnection(
        RelationalConnectionDependencies dependencies,
        IRawSqlCommandBuilder rawSqlCommandBuilder,
        IDiagnosticsLogger<DbLoggerCategory.Infrastructure> logger,
        RelationalCommandBuilderDependencies commandDependencies)
        : base(dependencies, rawSqlCommandBuilder, logger)
        => _commandDependencies = commandDependencies;

    /// <summary>The idle prepared KNN commands of <paramref name="connection" /> (this context's connection).</summary>
    internal DiskAnnPreparedStatements PreparedStatements(Microsoft.Data.Sqlite.SqliteConnection connection)
    {
        var statements = _preparedStatements;
        if (statements is null || !ReferenceEquals(statements.Connection, connection))
        {
            _preparedStatements = statements = new DiskAnnPreparedStatements(connection);
        }

        return statements;
    }

    /// <inheritdoc />
    public override IRelationalCommand RentCommand()
    {
        var command = _cachedCommand;
        if (command is null)
        {
            return new DiskAnnRelationalCommand(_commandDependencies, "", "", [], reusesStatement: false);
        }

        _cachedCommand = null;
        return command;
    }

    /// <inheritdoc />
    public override void ReturnCommand(IRelationalCommand command)
        => _cachedCommand ??= command;

    /// <inheritdoc />
    public override bool Open(bool errorsExpected = false)
    {
        var opened = base.Open(errorsExpected);
        DiskAnnConnectionInterceptor.EnsureLoaded(DbConnection);
        return opened;
    }

    /// <inheritdoc />
    public override async Task<bool> OpenAsync(CancellationToken cancellationToken, bool errorsExpected = false)
    {
        var opened = await base.OpenAsync(cancellationToken, errorsExpected).ConfigureAwait(false);
        DiskAnnConnectionInterceptor.EnsureLoaded(DbConnection);
        return opened;
    }
}
