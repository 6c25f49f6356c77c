using System.Collections.Concurrent;

namespace DiskAnn.Filters;

/// <summary>
/// The distinct texts of one TEXT filter column, each stored once and referred to by a code: a row holds its code,
/// and a query turns its text conditions into a set of allowed codes once, so the search tests a row with one
/// lookup. Append-only and shared by every version of the index (a fork adds the texts its rows bring; a code never
/// changes meaning), so readers on other threads need no lock: they only read codes that existed before their
/// image was published. A text no row uses any more keeps its code until the index is loaded again.
/// </summary>
internal sealed class TextDictionary
{
    private readonly ConcurrentDictionary<byte[], int> _codes = new(ByteArrayComparer.Instance);
    private readonly Lock _lock = new();
    private byte[][] _texts = new byte[16][];
    private int _count;

    /// <summary>How many codes exist now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The text of a code.</summary>
    public byte[] Text(int code) => Volatile.Read(ref _texts)[code];

    /// <summary>The code of a text, added if new.</summary>
    public int Code(byte[] utf8)
    {
        if (_codes.TryGetValue(utf8, out var code))
        {
            return code;
        }

        lock (_lock)
        {
            if (_codes.TryGetValue(utf8, out code))
            {
                return code;
            }

            code = _count;
            var texts = _texts;
            if (code == texts.Length)
            {
                Array.Resize(ref texts, texts.Length * 2);
            }

            texts[code] = utf8;
            Volatile.Write(ref _texts, texts);
            Volatile.Write(ref _count, code + 1);
            _codes[utf8] = code;
            return code;
        }
    }

    /// <summary>The code of a text if some row ever had it.</summary>
    public bool TryFind(byte[] utf8, out int code) => _codes.TryGetValue(utf8, out code);

    public long MemoryBytes
    {
        get
        {
            long bytes = 0;
            var texts = Volatile.Read(ref _texts);
            for (var i = 0; i < Count; i++)
            {
                bytes += texts[i].Length + 48;
            }

            return bytes;
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj);
            return hash.ToHashCode();
        }
    }
}
