using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>
/// A <c>distance &lt; ?</c> or <c>distance &lt;= ?</c> condition of a KNN query, applied to the k nearest rows the
/// search found (k caps it: the answer is the rows among the k nearest whose reported distance passes, exactly what
/// SQLite would keep if it applied the condition itself). The operand compares as SQLite compares it with the REAL
/// distance column: text that reads as a number is that number; NULL passes nothing; other text and BLOBs sort after
/// every number, so everything passes.
/// </summary>
internal readonly struct DistanceThreshold
{
    private enum Kind
    {
        None,
        All,
        Real,
        Integer,
    }

    private readonly Kind _kind;
    private readonly bool _inclusive;
    private readonly double _real;
    private readonly long _integer;

    private DistanceThreshold(Kind kind, bool inclusive, double real = 0, long integer = 0)
    {
        _kind = kind;
        _inclusive = inclusive;
        _real = real;
        _integer = integer;
    }

    /// <summary>True when no row can pass (a NULL operand): the search can be skipped.</summary>
    public bool PassesNone => _kind == Kind.None;

    /// <summary>The operand of argv, with the REAL affinity of the distance column.</summary>
    public static unsafe DistanceThreshold Read(nint value, bool inclusive) => SqliteApi.value_type(value) switch
    {
        SqliteConstants.NULL => new(Kind.None, inclusive),
        SqliteConstants.BLOB => new(Kind.All, inclusive),
        _ => SqliteApi.value_numeric_type(value) switch
        {
            SqliteConstants.INTEGER => new(Kind.Integer, inclusive, integer: SqliteApi.value_int64(value)),
            SqliteConstants.FLOAT => double.IsNaN(SqliteApi.value_double(value)) ? new(Kind.None, inclusive) : new(Kind.Real, inclusive, real: SqliteApi.value_double(value)),
            _ => new(Kind.All, inclusive),
        },
    };

    /// <summary>Whether a row at this distance passes.</summary>
    public bool Passes(double distance) => _kind switch
    {
        Kind.All => true,
        Kind.Real => _inclusive ? distance <= _real : distance < _real,
        Kind.Integer => PassesInteger(distance),
        _ => false,
    };

    /// <summary>
    /// Keeps the rows that pass, in their order, at the front of the arrays; returns how many. The search returns
    /// its rows nearest first, so these are the first ones, but each is checked.
    /// </summary>
    public int Apply(long[] rowids, float[] distances, int count)
    {
        if (_kind == Kind.All)
        {
            return count;
        }

        var kept = 0;
        for (var i = 0; i < count; i++)
        {
            if (Passes(distances[i]))
            {
                rowids[kept] = rowids[i];
                distances[kept++] = distances[i];
            }
        }

        return kept;
    }

    /// <summary>An exact comparison with an integer operand (one beyond 2^53 is not rounded to a double first, as SQLite does not).</summary>
    private bool PassesInteger(double distance)
    {
        if (distance < -9.2233720368547758E18)
        {
            return true;
        }

        if (distance >= 9.2233720368547758E18)
        {
            return false;
        }

        var floor = Math.Floor(distance);
        var whole = (long)floor;
        return whole < _integer || (whole == _integer && _inclusive && distance == floor);
    }
}
