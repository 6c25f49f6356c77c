namespace DiskAnn.Filters;

/// <summary>
/// The live rows of each partition (the values of the table's PARTITION KEY column: an integer, or a text's
/// dictionary code; NULL is a partition of its own). A query constrained to one partition knows exactly how many
/// rows can match, scans them exactly when they are few, and starts its graph search inside the partition when
/// they are many. Copy-on-write like the rest of a version: a fork shares every member list and copies one only
/// when it changes it, so a one-row commit copies one partition's list, not the index's.
/// </summary>
internal sealed class PartitionIndex
{
    private Dictionary<long, Members> _partitions = [];
    private Members _nulls;

    public PartitionIndex() => _nulls = new Members(this);

    /// <summary>How many partitions have rows.</summary>
    public int Count => _partitions.Count + (_nulls.Slots.Count > 0 ? 1 : 0);

    /// <summary>The live slots of a partition (null key: the NULL partition); empty when it has none.</summary>
    public IReadOnlyList<int> Slots(long? key)
        => key is null ? _nulls.Slots : _partitions.TryGetValue(key.Value, out var members) ? members.Slots : [];

    public void Add(long? key, int slot) => Writable(key).Slots.Add(slot);

    public void Remove(long? key, int slot)
    {
        if (key is not null && !_partitions.ContainsKey(key.Value))
        {
            return;
        }

        var members = Writable(key);
        var at = members.Slots.LastIndexOf(slot);
        if (at >= 0)
        {
            members.Slots[at] = members.Slots[^1];
            members.Slots.RemoveAt(members.Slots.Count - 1);
        }

        if (key is not null && members.Slots.Count == 0)
        {
            _partitions.Remove(key.Value);
        }
    }

    /// <summary>
    /// Rows moved among <paramref name="slots"/>: each of <paramref name="keys"/> (every partition a moved row belongs
    /// to) drops those slots and takes back the ones whose row is now of it (<paramref name="partitionOf"/>).
    /// </summary>
    public void Regroup(HashSet<int> slots, IEnumerable<long?> keys, Func<int, long?> partitionOf)
    {
        var regrouped = new HashSet<long?>(keys);
        foreach (var key in regrouped)
        {
            Writable(key).Slots.RemoveAll(slots.Contains);
        }

        foreach (var slot in slots)
        {
            var key = partitionOf(slot);
            if (!regrouped.Contains(key))
            {
                throw new InvalidOperationException($"slot {slot} moved into partition {key?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "NULL"}, which none of the moved rows belonged to");
            }

            Writable(key).Slots.Add(slot);
        }
    }

    public PartitionIndex Fork() => new() { _partitions = new Dictionary<long, Members>(_partitions), _nulls = _nulls };

    public long MemoryBytes => (_partitions.Count * 48L) + (_partitions.Values.Sum(m => (long)m.Slots.Capacity) * sizeof(int));

    private Members Writable(long? key)
    {
        if (key is null)
        {
            return _nulls.Owner == this ? _nulls : _nulls = _nulls.CopyFor(this);
        }

        if (!_partitions.TryGetValue(key.Value, out var members))
        {
            return _partitions[key.Value] = new Members(this);
        }

        return members.Owner == this ? members : _partitions[key.Value] = members.CopyFor(this);
    }

    /// <summary>A partition's slots, and the version that may change them in place (any other copies them first).</summary>
    private sealed class Members(PartitionIndex owner)
    {
        public PartitionIndex Owner { get; } = owner;

        public List<int> Slots { get; private init; } = [];

        public Members CopyFor(PartitionIndex owner) => new(owner) { Slots = [.. Slots] };
    }
}
