using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using DiskAnn.Sqlite;
using DiskAnn.Storage;
using DiskAnn.VirtualTable;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.Functions;

/// <summary>
/// <c>diskann_cache_size_mb('docs_idx' [, N])</c>: the vector cache budget of the process's image of a table (shared
/// by every connection of the process that uses it), set to N MiB when N is given, returned either way. The same as the command <c>INSERT INTO docs_idx(docs_idx) VALUES
/// ('cache_size_mb=N')</c>, which SQLite refuses on a read-only or query_only connection since it is an INSERT:
/// a SELECT is allowed there.
/// </summary>
internal static unsafe class CacheSizeFunction
{
    private const string Name = "diskann_cache_size_mb";

    public static void Register(nint db)
    {
        var z = Utf8.Z(Name);
        fixed (byte* p = z)
        {
            // Not deterministic (it changes state), and only in top-level SQL: not from a view, trigger or schema.
            foreach (var arguments in new[] { 1, 2 })
            {
                var rc = SqliteApi.create_function_v2(db, p, arguments, UTF8 | DIRECTONLY, 0, &Invoke, 0, 0, null);
                if (rc != OK)
                {
                    throw SqliteStatement.Error(db, rc, null);
                }
            }
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void Invoke(nint context, int argc, nint* argv)
    {
        try
        {
            var table = SqliteValues.ReadText(argv[0]) is { Length: > 0 } name && SqliteApi.value_type(argv[0]) == TEXT
                ? name
                : throw new SqliteCallException(MISMATCH, $"{Name}: the first argument is the name of a diskann table, such as '{Name}('docs_idx', 64)'");
            long? budget = argc > 1 ? SqliteValues.ReadInteger(argv[1], $"the budget of {Name}", 0, TableOptions.MaxCacheSizeMb) : null;
            var db = SqliteApi.context_db_handle(context);

            // Preparing a statement on the table connects it on this connection if nothing has used it yet (and
            // reports "no such table" in SQLite's words).
            using (new SqliteStatement(db, $"SELECT 1 FROM {ShadowStorage.Quote(table)} LIMIT 0"))
            {
            }

            var found = TableRegistry.Find(db, table) ?? throw new SqliteCallException(ERROR, $"{Name}: \"{table}\" is not a diskann table");
            if (budget is { } mb)
            {
                found.Command($"cache_size_mb={mb}");
            }

            SqliteApi.result_int64(context, found.CacheSizeMb);
        }
        catch (Exception e)
        {
            var z = Encoding.UTF8.GetBytes(e.Message);
            fixed (byte* p = z)
            {
                SqliteApi.result_error(context, p, z.Length);
            }

            if (e is SqliteCallException s && s.ResultCode != ERROR)
            {
                SqliteApi.result_error_code(context, s.ResultCode);
            }
        }
    }
}
