using DiskAnn.Graph;

namespace DiskAnn.Filters;

/// <summary>
/// The filter column values of every slot, held compactly: one 64-bit word a value (an INTEGER, a REAL's bits, or a
/// TEXT's <see cref="TextDictionary"/> code) and one byte saying whether it is NULL, in copy-on-write pages like the
/// store's other per-slot fields, so versions of the index share them. The partition key's rows are also indexed
/// by partition (<see cref="PartitionIndex"/>). Values here are already converted to the column's type.
/// </summary>
internal sealed class FilterColumnStore
{
    private readonly FilterColumn[] _columns;
    private readonly TextDictionary?[] _dictionaries;
    private CowArray<long>[] _values;
    private CowArray<byte>[] _present;
    private ColumnIndex[] _indexes;

    public FilterColumnStore(IReadOnlyList<FilterColumn> columns)
    {
        _columns = [.. columns];
        _dictionaries = [.. columns.Select(c => c.Type == FilterType.Text ? new TextDictionary() : null)];
        _values = [.. columns.Select(_ => new CowArray<long>())];
        _present = [.. columns.Select(_ => new CowArray<byte>())];
        _indexes = [.. columns.Select(_ => new ColumnIndex())];
        PartitionColumn = Array.FindIndex(_columns, c => c.PartitionKey);
        Partitions = PartitionColumn >= 0 ? new PartitionIndex() : null;
    }

    private FilterColumnStore(FilterColumnStore origin)
    {
        _columns = origin._columns;
        _dictionaries = origin._dictionaries;
        _values = [.. origin._values.Select(v => v.Fork())];
        _present = [.. origin._present.Select(p => p.Fork())];
        _indexes = [.. origin._indexes.Select(i => i.Fork())];
        PartitionColumn = origin.PartitionColumn;
        Partitions = origin.Partitions?.Fork();
    }

    public IReadOnlyList<FilterColumn> Columns => _columns;

    /// <summary>The index of the PARTITION KEY column, or -1.</summary>
    public int PartitionColumn { get; }

    /// <summary>The live rows of each partition, when the table has a partition key.</summary>
    public PartitionIndex? Partitions { get; }

    public TextDictionary? Dictionary(int column) => _dictionaries[column];

    public FilterColumnStore Fork() => new(this);

    public void EnsureSlots(int slotCount)
    {
        foreach (var values in _values)
        {
            values.EnsureLength(slotCount);
        }

        foreach (var present in _present)
        {
            present.EnsureLength(slotCount);
        }
    }

    public bool IsNull(int slot, int column) => _present[column][slot] == 0;

    /// <summary>The stored word of a non-NULL value: the integer, the REAL's bits, or the text's code.</summary>
    public long Word(int slot, int column) => _values[column][slot];

    public FilterValue Get(int slot, int column)
    {
        if (IsNull(slot, column))
        {
            return FilterValue.Null;
        }

        var word = Word(slot, column);
        return _columns[column].Type switch
        {
            FilterType.Integer => FilterValue.FromInteger(word),
            FilterType.Real => FilterValue.FromReal(BitConverter.Int64BitsToDouble(word)),
            _ => FilterValue.FromText(_dictionaries[column]!.Text((int)word)),
        };
    }

    /// <summary>The partition a live slot belongs to (null: the NULL partition).</summary>
    public long? PartitionOf(int slot) => IsNull(slot, PartitionColumn) ? null : Word(slot, PartitionColumn);

    /// <summary>
    /// Whether a slot is in the partition <paramref name="key"/> (null: the NULL partition). The searches confined to a
    /// partition ask it of every neighbour they meet, so it reads the stored word first and the NULL flag only when
    /// the word could be a NULL's (which stores 0).
    /// </summary>
    public bool InPartition(int slot, long? key)
    {
        var word = _values[PartitionColumn][slot];
        return key is { } value
            ? word == value && (word != 0 || !IsNull(slot, PartitionColumn))
            : word == 0 && IsNull(slot, PartitionColumn);
    }

    /// <summary>
    /// Sets a slot's values (one per column, each NULL or of its column's type). Partition membership is the caller's:
    /// a live slot leaves its old partition first (<see cref="Leave"/>) and joins the new one after (<see cref="Join"/>).
    /// </summary>
    public void Set(int slot, ReadOnlySpan<FilterValue> values)
    {
        for (var c = 0; c < _columns.Length; c++)
        {
            _indexes[c].MarkChanged(slot);
            var value = values[c];
            _present[c].Set(slot, value.IsNull ? (byte)0 : (byte)1);
            _values[c].Set(slot, value.Kind switch
            {
                ValueKind.Null => 0,
                ValueKind.Integer => value.Integer,
                ValueKind.Real => BitConverter.DoubleToInt64Bits(value.Real),
                _ => _dictionaries[c]!.Code(value.Bytes!),
            });
        }
    }

    /// <summary>The slot becomes a live row (of its partition).</summary>
    public void Join(int slot)
    {
        MarkChanged(slot);
        Partitions?.Add(PartitionOf(slot), slot);
    }

    /// <summary>The slot stops being a live row (deleted, freed or moved away).</summary>
    public void Leave(int slot)
    {
        MarkChanged(slot);
        Partitions?.Remove(PartitionOf(slot), slot);
    }

    private void MarkChanged(int slot)
    {
        foreach (var index in _indexes)
        {
            index.MarkChanged(slot);
        }
    }

    /// <summary>The sortable key of a stored word: the integer, a TEXT's code, or a REAL's bits made to sort as the numbers do.</summary>
    public static long Key(FilterType type, long word) => type == FilterType.Real && word < 0 ? word ^ long.MaxValue : word;

    /// <summary>The key of a REAL value.</summary>
    public static long RealKey(double value) => Key(FilterType.Real, BitConverter.DoubleToInt64Bits(value));

    /// <summary>The index of one column (see <see cref="ColumnIndex"/>).</summary>
    public ColumnIndex Index(int column) => _indexes[column];

    /// <summary>A column's non-NULL values over the live slots, sorted by key.</summary>
    public SortedColumn Sort(int column, int slotCount, Func<int, bool> live)
    {
        var keys = new List<long>();
        var slots = new List<int>();
        var type = _columns[column].Type;
        for (var slot = 0; slot < slotCount; slot++)
        {
            if (live(slot) && !IsNull(slot, column))
            {
                keys.Add(Key(type, Word(slot, column)));
                slots.Add(slot);
            }
        }

        var keyArray = keys.ToArray();
        var slotArray = slots.ToArray();
        Array.Sort(keyArray, slotArray);
        return new SortedColumn(keyArray, slotArray);
    }

    /// <summary>Copies a slot's values to another slot (compaction moves a node); partition membership moves with it.</summary>
    public void Move(int from, int to)
    {
        Leave(from);
        MarkChanged(to);
        for (var c = 0; c < _columns.Length; c++)
        {
            _present[c].Set(to, _present[c][from]);
            _values[c].Set(to, _values[c][from]);
        }

        Join(to);
    }

    /// <summary>
    /// Exchanges two live slots' values (their rows exchange slots). Partition membership is the caller's: once every
    /// exchange is made, <see cref="Regroup"/> puts the slots in the partitions of the rows they now hold.
    /// </summary>
    public void Swap(int a, int b)
    {
        MarkChanged(a);
        MarkChanged(b);
        for (var c = 0; c < _columns.Length; c++)
        {
            var present = _present[c][a];
            _present[c].Set(a, _present[c][b]);
            _present[c].Set(b, present);
            var value = _values[c][a];
            _values[c].Set(a, _values[c][b]);
            _values[c].Set(b, value);
        }
    }

    /// <summary>
    /// After rows were exchanged among <paramref name="slots"/> (<see cref="Swap"/>), each partition of those rows holds
    /// the slots that now hold its rows: <paramref name="partitions"/> are those partitions, taken before the exchanges.
    /// </summary>
    public void Regroup(HashSet<int> slots, IEnumerable<long?> partitions)
        => Partitions?.Regroup(slots, partitions, PartitionOf);

    /// <summary>Reads a slot's values into <paramref name="destination"/>, one per column.</summary>
    public void Read(int slot, Span<FilterValue> destination)
    {
        for (var c = 0; c < _columns.Length; c++)
        {
            destination[c] = Get(slot, c);
        }
    }

    public long MemoryBytes(int slotCount)
        => (9L * slotCount * _columns.Length) + _dictionaries.Sum(d => d?.MemoryBytes ?? 0) + (Partitions?.MemoryBytes ?? 0);
}
