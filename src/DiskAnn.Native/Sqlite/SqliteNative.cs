using System.Runtime.InteropServices;

namespace DiskAnn.Sqlite;

// The C structs SQLite shares with a virtual-table module, laid out exactly as sqlite3.h declares them
// (64-bit and 32-bit alike: sequential layout with the platform's natural alignment).

/// <summary><c>sqlite3_module</c>, version 4 (xShadowName since 3.26, xIntegrity since 3.44).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SqliteModuleStruct
{
    public int iVersion;
    public nint xCreate;
    public nint xConnect;
    public nint xBestIndex;
    public nint xDisconnect;
    public nint xDestroy;
    public nint xOpen;
    public nint xClose;
    public nint xFilter;
    public nint xNext;
    public nint xEof;
    public nint xColumn;
    public nint xRowid;
    public nint xUpdate;
    public nint xBegin;
    public nint xSync;
    public nint xCommit;
    public nint xRollback;
    public nint xFindFunction;
    public nint xRename;
    public nint xSavepoint;
    public nint xRelease;
    public nint xRollbackTo;
    public nint xShadowName;
    public nint xIntegrity;
}

/// <summary>
/// <c>sqlite3_vtab</c> followed by our own field: the GCHandle of the managed table object. SQLite only
/// reads the first three fields, so the struct may be longer than SQLite's.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SqliteVtab
{
    public SqliteModuleStruct* pModule;
    public int nRef;
    public byte* zErrMsg;
    public nint managed;
}

/// <summary><c>sqlite3_vtab_cursor</c> followed by the GCHandle of the managed cursor.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SqliteVtabCursor
{
    public SqliteVtab* pVtab;
    public nint managed;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SqliteIndexConstraint
{
    public int iColumn;
    public byte op;
    public byte usable;
    public int iTermOffset;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SqliteIndexOrderBy
{
    public int iColumn;
    public byte desc;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SqliteIndexConstraintUsage
{
    public int argvIndex;
    public byte omit;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SqliteIndexInfo
{
    public int nConstraint;
    public SqliteIndexConstraint* aConstraint;
    public int nOrderBy;
    public SqliteIndexOrderBy* aOrderBy;
    public SqliteIndexConstraintUsage* aConstraintUsage;
    public int idxNum;
    public byte* idxStr;
    public int needToFreeIdxStr;
    public int orderByConsumed;
    public double estimatedCost;
    public long estimatedRows;
    public int idxFlags;
    public ulong colUsed;
}

/// <summary>The result codes, types and constants of sqlite3.h the module uses.</summary>
internal static class SqliteConstants
{
    public const int OK = 0;
    public const int ERROR = 1;
    public const int INTERNAL = 2;
    public const int ABORT = 4;
    public const int BUSY = 5;
    public const int NOMEM = 7;
    public const int CORRUPT = 11;
    public const int FULL = 13;
    public const int CONSTRAINT = 19;
    public const int MISMATCH = 20;
    public const int RANGE = 25;
    public const int ROW = 100;
    public const int DONE = 101;
    public const int CONSTRAINT_PRIMARYKEY = CONSTRAINT | (6 << 8);
    public const int CONSTRAINT_VTAB = CONSTRAINT | (9 << 8);
    public const int CORRUPT_VTAB = CORRUPT | (1 << 8);

    public const int INTEGER = 1;
    public const int FLOAT = 2;
    public const int TEXT = 3;
    public const int BLOB = 4;
    public const int NULL = 5;

    public const int UTF8 = 1;
    public const int DETERMINISTIC = 0x000000800;
    public const int INNOCUOUS = 0x000200000;
    public const int DIRECTONLY = 0x000080000;

    public const int INDEX_CONSTRAINT_EQ = 2;
    public const int INDEX_CONSTRAINT_GT = 4;
    public const int INDEX_CONSTRAINT_LE = 8;
    public const int INDEX_CONSTRAINT_LT = 16;
    public const int INDEX_CONSTRAINT_GE = 32;
    public const int INDEX_CONSTRAINT_MATCH = 64;
    public const int INDEX_CONSTRAINT_NE = 68;
    public const int INDEX_CONSTRAINT_ISNOT = 69;
    public const int INDEX_CONSTRAINT_ISNOTNULL = 70;
    public const int INDEX_CONSTRAINT_ISNULL = 71;
    public const int INDEX_CONSTRAINT_LIKE = 65;
    public const int INDEX_CONSTRAINT_GLOB = 66;
    public const int INDEX_CONSTRAINT_REGEXP = 67;
    public const int INDEX_CONSTRAINT_IS = 72;
    public const int INDEX_CONSTRAINT_LIMIT = 73;
    public const int INDEX_CONSTRAINT_OFFSET = 74;
    public const int INDEX_SCAN_UNIQUE = 1;

    public const int VTAB_CONSTRAINT_SUPPORT = 1;
    public const int VTAB_INNOCUOUS = 2;

    // sqlite3_vtab_on_conflict()
    public const int ROLLBACK = 1;
    public const int FAIL = 3;
    public const int REPLACE = 5;
}
