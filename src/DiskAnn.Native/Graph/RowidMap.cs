namespace DiskAnn.Graph;

/// <summary>
/// The slot of each live rowid: an open-addressing hash table (linear probing, tombstones) held in
/// <see cref="CowArray{T}"/> pages, so that a <see cref="Fork"/> shares it with the committed version and a one-row
/// write copies the page it touches (48 KB), not the map (24 bytes a row as a Dictionary: 24 MB at a million rows,
/// copied by the first write of every transaction). Readers on other threads only read; only a fork no one else
/// reads is written.
/// </summary>
internal sealed class RowidMap
{
    private const int MinimumCapacity = 4096; // one page of each array

    // A value is the slot + 1; 0 is an empty entry (the end of a probe), -1 a removed one (probing goes on).
    private const int Empty = 0;
    private const int Removed = -1;

    private CowArray<long> _keys = new();
    private CowArray<int> _values = new();
    private int _mask;
    private int _tombstones;

    public RowidMap() => Reset(MinimumCapacity);

    public int Count { get; private set; }

    /// <summary>Bytes held.</summary>
    public long MemoryBytes => (long)(_mask + 1) * (sizeof(long) + sizeof(int));

    /// <summary>The live rowids, in no particular order.</summary>
    public IEnumerable<long> Keys
    {
        get
        {
            for (var i = 0; i <= _mask; i++)
            {
                if (_values[i] > 0)
                {
                    yield return _keys[i];
                }
            }
        }
    }

    /// <summary>A map that shares every page with this one; whichever side writes a page first copies it.</summary>
    public RowidMap Fork()
        => new() { _keys = _keys.Fork(), _values = _values.Fork(), _mask = _mask, _tombstones = _tombstones, Count = Count };

    public bool TryGetValue(long rowid, out int slot)
    {
        var i = Find(rowid);
        slot = i < 0 ? -1 : _values[i] - 1;
        return i >= 0;
    }

    /// <summary>Adds a rowid that is not in the map; false (and nothing changed) if it is.</summary>
    public bool TryAdd(long rowid, int slot)
    {
        var free = -1;
        int i;
        for (i = Home(rowid); ; i = (i + 1) & _mask)
        {
            var value = _values[i];
            if (value == Empty)
            {
                break;
            }

            if (value == Removed)
            {
                free = free < 0 ? i : free;
            }
            else if (_keys[i] == rowid)
            {
                return false;
            }
        }

        if (free >= 0)
        {
            i = free;
            _tombstones--;
        }

        _keys.Set(i, rowid);
        _values.Set(i, slot + 1);
        Count++;
        if ((Count + _tombstones) * 2 > _mask + 1)
        {
            Rehash(Count * 4 > _mask + 1 ? (_mask + 1) * 2 : _mask + 1);
        }

        return true;
    }

    public void Add(long rowid, int slot)
    {
        if (!TryAdd(rowid, slot))
        {
            throw new InvalidOperationException($"rowid {rowid} is in the index already");
        }
    }

    /// <summary>Points a rowid in the map at another slot, or adds it.</summary>
    public void Set(long rowid, int slot)
    {
        if (Find(rowid) is var i and >= 0)
        {
            _values.Set(i, slot + 1);
        }
        else
        {
            TryAdd(rowid, slot);
        }
    }

    public bool Remove(long rowid, out int slot)
    {
        var i = Find(rowid);
        if (i < 0)
        {
            slot = -1;
            return false;
        }

        slot = _values[i] - 1;
        _values.Set(i, Removed);
        Count--;
        _tombstones++;
        return true;
    }

    public void Clear() => Reset(MinimumCapacity);

    private int Find(long rowid)
    {
        for (var i = Home(rowid); ; i = (i + 1) & _mask)
        {
            var value = _values[i];
            if (value == Empty)
            {
                return -1;
            }

            if (value > 0 && _keys[i] == rowid)
            {
                return i;
            }
        }
    }

    /// <summary>Where a rowid's probe starts: murmur3's finalizer spreads sequential rowids over the table.</summary>
    private int Home(long rowid)
    {
        var x = (ulong)rowid;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return (int)x & _mask;
    }

    private void Reset(int capacity)
    {
        _keys = new CowArray<long>();
        _values = new CowArray<int>();
        _keys.EnsureLength(capacity);
        _values.EnsureLength(capacity);
        _mask = capacity - 1;
        _tombstones = 0;
        Count = 0;
    }

    /// <summary>A table of <paramref name="capacity"/> entries (a power of two) with the live entries, and no tombstones.</summary>
    private void Rehash(int capacity)
    {
        var keys = _keys;
        var values = _values;
        var old = _mask + 1;
        Reset(capacity);
        for (var i = 0; i < old; i++)
        {
            if (values[i] > 0)
            {
                var j = Home(keys[i]);
                while (_values[j] != Empty)
                {
                    j = (j + 1) & _mask;
                }

                _keys.Set(j, keys[i]);
                _values.Set(j, values[i]);
                Count++;
            }
        }
    }
}
