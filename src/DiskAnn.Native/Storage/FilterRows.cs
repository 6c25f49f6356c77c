using DiskAnn.Filters;
using DiskAnn.Graph;
using DiskAnn.Sqlite;

namespace DiskAnn.Storage;

/// <summary>
/// The <c>&lt;name&gt;_columns</c> table: one row per slot that holds (or held) a row, its filter column values in
/// columns of the declared types. Written when a row is stored or its filter values change, read whole on load and
/// by slot range when a refresh reads back the chunks other connections' commits wrote. The row of a slot freed
/// later stays until the slot is used again (its values are never read for a free slot).
/// </summary>
internal sealed class FilterRows : IDisposable
{
    private readonly ShadowSchema _tables;
    private readonly IReadOnlyList<FilterColumn> _columns;
    private readonly ChangeLog _changes;
    private SqliteStatement? _write;
    private SqliteStatement? _range;

    public FilterRows(ShadowSchema tables, IReadOnlyList<FilterColumn> columns, ChangeLog changes)
    {
        _tables = tables;
        _columns = columns;
        _changes = changes;
    }

    private string ColumnList => string.Join(", ", _columns.Select(c => ShadowSchema.Quote(c.Name)));

    /// <summary>Stores a slot's values as memory holds them.</summary>
    public void Write(NodeStore nodes, int slot)
    {
        var store = nodes.Filters!;
        _write ??= new SqliteStatement(_tables.Db,
            $"INSERT OR REPLACE INTO {_tables.Columns}(slot, {ColumnList}) VALUES (?1{string.Concat(_columns.Select((_, i) => $", ?{i + 2}"))})");
        try
        {
            _write.Bind(1, slot);
            for (var c = 0; c < _columns.Count; c++)
            {
                var value = store.Get(slot, c);
                _ = value.Kind switch
                {
                    ValueKind.Null => _write.BindNull(c + 2),
                    ValueKind.Integer => _write.Bind(c + 2, value.Integer),
                    ValueKind.Real => _write.Bind(c + 2, value.Real),
                    _ => _write.BindText(c + 2, value.Bytes),
                };
            }

            _write.Step();
        }
        finally
        {
            _write.Reset();
        }

        _changes.RecordsWritten(slot / nodes.ChunkSlots);
    }

    /// <summary>Reads the values of the slots from <paramref name="first"/> to <paramref name="last"/> into memory.</summary>
    public void Read(NodeStore nodes, int first, int last)
    {
        var store = nodes.Filters!;
        _range ??= new SqliteStatement(_tables.Db, $"SELECT slot, {ColumnList} FROM {_tables.Columns} WHERE slot BETWEEN ?1 AND ?2");
        var values = new FilterValue[_columns.Count];
        try
        {
            _range.Bind(1, first).Bind(2, last);
            while (_range.Step())
            {
                var slot = _range.Int64(0);
                if (slot < first || slot > last || slot >= nodes.SlotCount)
                {
                    continue; // a row of a slot beyond the stored chunks: never read
                }

                for (var c = 0; c < _columns.Count; c++)
                {
                    values[c] = ReadValue(_range, c + 1, _columns[c], slot);
                }

                store.Set((int)slot, values);
            }
        }
        finally
        {
            _range.Reset();
        }
    }

    /// <summary>Deletes the rows of slots from <paramref name="first"/> on (chunks dropped by 'optimize').</summary>
    public void DeleteFrom(int first)
    {
        using var delete = new SqliteStatement(_tables.Db, $"DELETE FROM {_tables.Columns} WHERE slot >= ?1");
        delete.Bind(1, first).Step();
    }

    /// <summary>The slots that have a stored row (for the integrity check).</summary>
    public HashSet<int> StoredSlots()
    {
        var slots = new HashSet<int>();
        using var select = new SqliteStatement(_tables.Db, $"SELECT slot FROM {_tables.Columns}");
        while (select.Step())
        {
            slots.Add((int)select.Int64(0));
        }

        return slots;
    }

    private FilterValue ReadValue(SqliteStatement select, int column, FilterColumn declared, long slot)
    {
        var type = select.Type(column);
        return (type, declared.Type) switch
        {
            (SqliteConstants.NULL, _) => FilterValue.Null,
            (SqliteConstants.INTEGER, FilterType.Integer) => FilterValue.FromInteger(select.Int64(column)),
            (SqliteConstants.INTEGER or SqliteConstants.FLOAT, FilterType.Real) => FilterValue.FromReal(select.Double(column)),
            (SqliteConstants.TEXT, FilterType.Text) => FilterValue.FromText(select.TextBytes(column).ToArray()),
            _ => throw _tables.Corrupt($"filter column {declared.Name} of slot {slot} holds a value of storage class {type}, not {FilterTypes.Name(declared.Type)}"),
        };
    }

    public void Dispose()
    {
        _write?.Dispose();
        _range?.Dispose();
    }
}
