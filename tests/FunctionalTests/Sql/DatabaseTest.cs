namespace FunctionalTests.Sql;

/// <summary>A test class with its own database file, deleted after each test.</summary>
public abstract class DatabaseTest : IDisposable
{
    private protected TestDatabase Db { get; } = new();

    public void Dispose()
    {
        Db.Dispose();
        GC.SuppressFinalize(this);
    }
}
