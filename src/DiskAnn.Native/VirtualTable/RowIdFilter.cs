using DiskAnn.Filters;
using DiskAnn.Graph;
using DiskAnn.Sqlite;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// The rowid constraints of one query (=, IN, &lt;, &lt;=, &gt;, &gt;=, !=, IS, IS NOT), evaluated as SQLite
/// evaluates them on the rowid of an ordinary table: the value first gets the rowid's INTEGER affinity (the text
/// '2' is 2), a REAL compares by value (2.0 matches rowid 2, 2.5 matches nothing and rowid &gt; 2.5 starts at 3),
/// text that is not a number and BLOBs sort after every integer, and NULL matches nothing (except IS NOT NULL).
/// A KNN query applies them before it picks the k nearest, so k rows come back whenever k rows match.
/// </summary>
internal sealed unsafe class RowIdFilter
{
    // The operators as they are listed in idxStr, one character per constraint, in argv order: the filter columns' spellings.
    public const char EqualTo = (char)FilterOp.Equal;
    public const char In = (char)FilterOp.In;
    public const char GreaterThan = (char)FilterOp.Greater;
    public const char AtLeast = (char)FilterOp.AtLeast;
    public const char LessThan = (char)FilterOp.Less;
    public const char AtMost = (char)FilterOp.AtMost;
    public const char NotEqualTo = (char)FilterOp.NotEqual;
    public const char Is = (char)FilterOp.Is;
    public const char IsNot = (char)FilterOp.IsNot;

    private readonly List<(char Op, Operand Value)> _comparisons = [];
    private HashSet<long>? _candidates;

    /// <summary>The idxStr character for a constraint operator on the rowid, or null for one the filter does not take.</summary>
    public static char? Code(int op) => FilterConstraints.OpOf(op) is { } filterOp and not (FilterOp.IsNull or FilterOp.IsNotNull) ? (char)filterOp : null;

    /// <summary>Reads one constraint per character of <paramref name="ops"/> from <paramref name="argv"/>.</summary>
    public static RowIdFilter Read(string ops, ReadOnlySpan<nint> argv)
    {
        var filter = new RowIdFilter();
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            if (op == In)
            {
                filter.Restrict(ReadInList(argv[i]));
                continue;
            }

            var value = Operand.Read(argv[i]);
            if (op is EqualTo or Is)
            {
                filter.Restrict(value.AsRowId() is { } id ? [id] : []);
            }

            filter._comparisons.Add((op, value));
        }

        return filter;
    }

    /// <summary>True if the rowid passes every constraint.</summary>
    public bool Test(long rowid)
    {
        if (_candidates is not null && !_candidates.Contains(rowid))
        {
            return false;
        }

        foreach (var (op, value) in _comparisons)
        {
            if (value.IsNull)
            {
                // rowid op NULL is NULL (false) for every operator but IS NOT.
                if (op != IsNot)
                {
                    return false;
                }

                continue;
            }

            var c = value.CompareFrom(rowid);
            var pass = op switch
            {
                EqualTo or Is => c == 0,
                NotEqualTo or IsNot => c != 0,
                GreaterThan => c > 0,
                AtLeast => c >= 0,
                LessThan => c < 0,
                _ => c <= 0,
            };
            if (!pass)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The rows of <paramref name="index"/> that pass, each once, in no particular order.</summary>
    public List<long> Select(VamanaIndex index)
    {
        var source = _candidates is not null && _candidates.Count < index.LiveCount ? _candidates : index.RowIds;
        var rows = new List<long>();
        foreach (var rowid in source)
        {
            if (Test(rowid) && index.TryGetSlot(rowid, out _))
            {
                rows.Add(rowid);
            }
        }

        return rows;
    }

    private void Restrict(HashSet<long> allowed)
    {
        if (_candidates is null)
        {
            _candidates = allowed;
        }
        else
        {
            _candidates.IntersectWith(allowed);
        }
    }

    /// <summary>The rowids a rowid IN (...) list names: each value as rowid = value would match it.</summary>
    private static HashSet<long> ReadInList(nint list)
    {
        var set = new HashSet<long>();
        nint value;
        var rc = SqliteApi.vtab_in_first(list, &value);
        while (rc == OK && value != 0)
        {
            if (Operand.Read(value).AsRowId() is { } id)
            {
                set.Add(id);
            }

            rc = SqliteApi.vtab_in_next(list, &value);
        }

        if (rc != OK && rc != DONE)
        {
            throw new SqliteCallException(rc, "diskann: could not read the rowid IN (...) list");
        }

        return set;
    }

    /// <summary>A constraint's value after the rowid's INTEGER affinity: an integer, a real, NULL, or something after every number.</summary>
    private readonly record struct Operand(int Type, long Integer, double Real)
    {
        public bool IsNull => Type == NULL;

        public static Operand Read(nint value) => SqliteApi.value_numeric_type(value) switch
        {
            INTEGER => new(INTEGER, SqliteApi.value_int64(value), 0),
            FLOAT => new(FLOAT, 0, SqliteApi.value_double(value)),
            NULL => new(NULL, 0, 0),
            var other => new(other, 0, 0), // text that is not a number, or a BLOB
        };

        /// <summary>The rowid this value selects with =, as SQLite's rowid lookup converts it: only an integral value.</summary>
        public long? AsRowId() => Type switch
        {
            INTEGER => Integer,
            // The bounds are exclusive as in SQLite's sqlite3VdbeIntegerAffinity: ±2^63 round-trips inexactly.
            FLOAT when Real == Math.Floor(Real) && Real > -9.2233720368547758E18 && Real < 9.2233720368547758E18 => (long)Real,
            _ => null,
        };

        /// <summary>The sign of rowid - value, exactly (a long and a double compared without rounding either).</summary>
        public int CompareFrom(long rowid)
        {
            switch (Type)
            {
                case INTEGER:
                    return rowid.CompareTo(Integer);
                case FLOAT:
                    if (Real >= 9.2233720368547758E18)
                    {
                        return -1;
                    }

                    if (Real < -9.2233720368547758E18)
                    {
                        return 1;
                    }

                    var floor = Math.Floor(Real);
                    var whole = (long)floor;
                    if (rowid != whole)
                    {
                        return rowid.CompareTo(whole);
                    }

                    return Real > floor ? -1 : 0;
                default:
                    return -1; // TEXT and BLOB sort after every number
            }
        }
    }
}
