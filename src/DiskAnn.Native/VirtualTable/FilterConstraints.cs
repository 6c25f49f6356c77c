using System.Text;
using DiskAnn.Filters;
using DiskAnn.Sqlite;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The filter column constraints of a query, from xBestIndex to xFilter: which operators the module evaluates
/// (=, !=, &lt;, &lt;=, &gt;, &gt;=, IN, IS, IS NOT, IS NULL, IS NOT NULL; BETWEEN arrives as &gt;= and &lt;=), how
/// they are listed in idxStr (after a '|', two characters each: the operator, then 'A' + the column), and their
/// operands read from argv with the column's affinity.
/// </summary>
internal static unsafe class FilterConstraints
{
    private const char Separator = '|';

    /// <summary>The operator for a constraint the module evaluates, or null (see <see cref="Unsupported"/>).</summary>
    public static FilterOp? Op(SqliteIndexInfo* info, int constraint, int op, FilterColumn column)
    {
        // Text compares byte by byte (BINARY); a query asking for another collation is not one the module can answer.
        if (column.Type == FilterType.Text && !IsBinary(info, constraint))
        {
            return null;
        }

        var filterOp = OpOf(op);
        return filterOp == FilterOp.Equal && SqliteApi.vtab_in(info, constraint, -1) != 0 ? FilterOp.In : filterOp;
    }

    /// <summary>The operator of a SQLite constraint code (an = that is an IN list is told apart by the caller), or null.</summary>
    public static FilterOp? OpOf(int op)
    {
        return op switch
        {
            INDEX_CONSTRAINT_EQ => FilterOp.Equal,
            INDEX_CONSTRAINT_NE => FilterOp.NotEqual,
            INDEX_CONSTRAINT_LT => FilterOp.Less,
            INDEX_CONSTRAINT_LE => FilterOp.AtMost,
            INDEX_CONSTRAINT_GT => FilterOp.Greater,
            INDEX_CONSTRAINT_GE => FilterOp.AtLeast,
            INDEX_CONSTRAINT_IS => FilterOp.Is,
            INDEX_CONSTRAINT_ISNOT => FilterOp.IsNot,
            INDEX_CONSTRAINT_ISNULL => FilterOp.IsNull,
            INDEX_CONSTRAINT_ISNOTNULL => FilterOp.IsNotNull,
            _ => null,
        };
    }

    /// <summary>Why a vector MATCH query cannot take a constraint on a filter column, and what to write instead.</summary>
    public static string Unsupported(SqliteIndexInfo* info, int constraint, int op, FilterColumn column)
    {
        var what = op switch
        {
            INDEX_CONSTRAINT_LIKE => "LIKE",
            INDEX_CONSTRAINT_GLOB => "GLOB",
            INDEX_CONSTRAINT_REGEXP => "REGEXP",
            INDEX_CONSTRAINT_MATCH => "MATCH",
            // SQLite hands the module LIKE 'prefix%' as such comparisons too (>= 'prefix' AND < the next prefix, COLLATE NOCASE).
            _ when column.Type == FilterType.Text && !IsBinary(info, constraint) => $"a comparison with COLLATE {Utf8.Read(SqliteApi.vtab_collation(info, constraint))} (or a LIKE, which SQLite passes on as one)",
            _ => "this comparison",
        };
        return $"diskann: {what} on filter column {column.Name} cannot be evaluated inside a vector search (the module evaluates =, !=, <, <=, >, >=, IN, IS, IS NOT, IS NULL, IS NOT NULL and BETWEEN, byte-wise for text); write it as rowid IN (SELECT rowid FROM ... WHERE ...) so that k rows still come back";
    }

    private static bool IsBinary(SqliteIndexInfo* info, int constraint)
    {
        var collation = Utf8.Read(SqliteApi.vtab_collation(info, constraint));
        return collation is null || string.Equals(collation, "BINARY", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The idxStr part listing the constraints in argv order ("" for none).</summary>
    public static string Encode(IReadOnlyList<(FilterOp Op, int Column)> constraints)
    {
        if (constraints.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder().Append(Separator);
        foreach (var (op, column) in constraints)
        {
            text.Append((char)op).Append((char)('A' + column));
        }

        return text.ToString();
    }

    /// <summary>Splits idxStr into the rowid operators and the filter constraints' part.</summary>
    public static (string RowIdOps, string Filters) Split(string? idxStr)
    {
        var text = idxStr ?? "";
        var at = text.IndexOf(Separator);
        return at < 0 ? (text, "") : (text[..at], text[(at + 1)..]);
    }

    /// <summary>
    /// Reads the constraints' operands from argv (one argument each), given each its column's affinity. In a KNN
    /// query (<paramref name="inSearch"/>) a number compared with a TEXT column is an error (<see cref="FilterValues.Operand"/>);
    /// in a scan that condition is left out, and SQLite, which checks a scan's TEXT conditions again
    /// (<see cref="SqliteChecksAgain"/>), applies it with the affinity it knows.
    /// </summary>
    public static List<(int Column, FilterCondition Condition)> Read(string encoded, ReadOnlySpan<nint> argv, IReadOnlyList<FilterColumn> columns, bool inSearch)
    {
        var conditions = new List<(int, FilterCondition)>(encoded.Length / 2);
        for (var i = 0; i < encoded.Length / 2; i++)
        {
            var op = (FilterOp)encoded[2 * i];
            var number = encoded[(2 * i) + 1] - 'A';
            var column = columns[number];
            if (op is FilterOp.IsNull or FilterOp.IsNotNull)
            {
                conditions.Add((number, new FilterCondition(op, FilterValue.Null)));
                continue;
            }

            // A number compared with a TEXT column: left to SQLite in a scan, refused by Operand in a search.
            FilterCondition? condition;
            if (op == FilterOp.In)
            {
                condition = ReadInList(argv[i], column, inSearch) is { } list ? new FilterCondition(op, FilterValue.Null, list) : null;
            }
            else
            {
                condition = !inSearch && FilterValues.IsNumberForText(argv[i], column) ? null : new FilterCondition(op, FilterValues.Operand(argv[i], column));
            }

            if (condition is null)
            {
                continue;
            }

            conditions.Add((number, condition));
        }

        return conditions;
    }

    /// <summary>
    /// Whether a scan (no vector MATCH) leaves a condition to SQLite alone, not handed to the module at all: an order
    /// (&lt;, &lt;=, &gt;, &gt;=) on a TEXT column. An operand with a numeric affinity (an INTEGER column in a join, holding
    /// a text it could not convert) makes SQLite compare the column's numeric-looking texts as numbers, which sort before
    /// any text, where the module compares bytes. (Equality is the same either way: such an operand is a text that does
    /// not look like a number, so only texts that do not either can equal it.) A KNN query takes every condition.
    /// </summary>
    public static bool LeftToSqliteInScan(FilterOp op, FilterColumn column)
        => column.Type == FilterType.Text && op is FilterOp.Less or FilterOp.AtMost or FilterOp.Greater or FilterOp.AtLeast;

    /// <summary>
    /// Whether SQLite is left to check a condition on the column again on each row a scan (no vector MATCH) returns: a
    /// TEXT column's, whose operand may be a number the module cannot compare as SQLite would (see <see cref="Read"/>).
    /// A KNN query's conditions are the module's alone (checked after the k nearest were picked, they would shorten the answer).
    /// </summary>
    public static bool SqliteChecksAgain(FilterColumn column, bool inSearch) => !inSearch && column.Type == FilterType.Text;

    /// <summary>
    /// The values of an IN list (each read as it comes: SQLite hands them out in one value it reuses), or null when a
    /// scan leaves the list to SQLite (a number among the values of a TEXT column's list).
    /// </summary>
    private static FilterValue[]? ReadInList(nint list, FilterColumn column, bool inSearch)
    {
        var values = new List<FilterValue>();
        nint value;
        var rc = SqliteApi.vtab_in_first(list, &value);
        while (rc == OK && value != 0)
        {
            if (!inSearch && FilterValues.IsNumberForText(value, column))
            {
                return null;
            }

            values.Add(FilterValues.Operand(value, column));
            rc = SqliteApi.vtab_in_next(list, &value);
        }

        if (rc != OK && rc != DONE)
        {
            throw new SqliteCallException(rc, $"diskann: could not read the {column.Name} IN (...) list");
        }

        return [.. values];
    }
}
