namespace DiskAnn.Sqlite;

internal static class DiskAnnRegistration
{
    public static void Register(nint db) => throw new NotImplementedException("diskann module: being written");
}
