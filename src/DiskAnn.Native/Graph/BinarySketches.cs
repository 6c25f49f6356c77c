using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace DiskAnn.Graph;

/// <summary>
/// One bit per dimension of every slot: whether the slot's (direction, for cosine) value in that dimension lies above
/// the dimension's mean over the rows held when the sketches were built. The Hamming distance between two sketches
/// estimates the angle between the centred vectors, so it ranks rows roughly as the distance does, at 1/8 of the
/// int8 codes' bytes and a few instructions a row (XOR and POPCNT). The exact scan of a filter's matching rows ranks
/// them by sketch first and measures only the best few with the codes: a scan of many thousand rows is bound by
/// memory, and a 384-d sketch is 48 bytes where the codes are 384.
/// </summary>
/// <remarks>
/// Sketches are memory only, derived from the codes (no format change), built the first time a scan needs them and
/// kept up to date by every later write of a code (<see cref="NodeStore"/>). The centre is fixed when they are built:
/// rows written afterwards are sketched against the same centre, so every sketch of one store is comparable; once the
/// rows have doubled they are built again around a new centre. Only a
/// preselection: the rows it keeps are measured with the codes and re-ranked with the float32 vectors, as a graph
/// search's candidates are.
/// </remarks>
internal sealed class BinarySketches
{
    private readonly float[] _centre;
    private CowArray<ulong> _words;

    private BinarySketches(float[] centre, int rows, CowArray<ulong> words)
    {
        _centre = centre;
        Rows = rows;
        _words = words;
        // A power of two, so that no slot's words straddle two pages of the array: Hamming reads them as one span.
        WordsPerSlot = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((centre.Length + 63) / 64));
    }

    /// <summary>Sketches against <paramref name="centre"/>, the mean of the <paramref name="rows"/> rows held when it was taken.</summary>
    public BinarySketches(float[] centre, int rows)
        : this(centre, rows, new CowArray<ulong>())
    {
    }

    /// <summary>The rows the centre is the mean of.</summary>
    public int Rows { get; }

    /// <summary>64-bit words a slot's sketch takes (a power of two; the words past the dimensions stay zero).</summary>
    public int WordsPerSlot { get; }

    /// <summary>Bytes held (the centre and the words).</summary>
    public long MemoryBytes => ((long)_words.Length * sizeof(ulong)) + ((long)_centre.Length * sizeof(float));

    public void EnsureSlots(int slots) => _words.EnsureLength(slots * WordsPerSlot);

    /// <summary>Shares every page with the copy, as the store's other per-slot fields do.</summary>
    public BinarySketches Fork() => new(_centre, Rows, _words.Fork());

    /// <summary>Sketches a slot from its decoded values: <paramref name="codes"/> times <paramref name="factor"/>.</summary>
    public void Set(int slot, ReadOnlySpan<sbyte> codes, float factor)
    {
        var first = slot * WordsPerSlot;
        for (var w = 0; w < WordsPerSlot; w++)
        {
            var word = 0UL;
            var end = Math.Min(codes.Length, (w + 1) * 64);
            for (var d = w * 64; d < end; d++)
            {
                if (codes[d] * factor > _centre[d])
                {
                    word |= 1UL << (d & 63);
                }
            }

            _words.Set(first + w, word);
        }
    }

    public void Copy(int from, int to)
    {
        for (var w = 0; w < WordsPerSlot; w++)
        {
            _words.Set((to * WordsPerSlot) + w, _words[(from * WordsPerSlot) + w]);
        }
    }

    /// <summary>Exchanges two slots' sketches (their rows exchange slots).</summary>
    public void Swap(int a, int b)
    {
        for (var w = 0; w < WordsPerSlot; w++)
        {
            var word = _words[(a * WordsPerSlot) + w];
            _words.Set((a * WordsPerSlot) + w, _words[(b * WordsPerSlot) + w]);
            _words.Set((b * WordsPerSlot) + w, word);
        }
    }

    /// <summary>The sketch of a query: its values times <paramref name="factor"/> (1/|q| for cosine) against the centre.</summary>
    public void SketchQuery(ReadOnlySpan<float> query, float factor, Span<ulong> sketch)
    {
        sketch.Clear();
        for (var d = 0; d < Math.Min(query.Length, _centre.Length); d++)
        {
            if (query[d] * factor > _centre[d])
            {
                sketch[d >> 6] |= 1UL << (d & 63);
            }
        }
    }

    /// <summary>Asks the CPU to start loading a slot's sketch (a scan reads them in the order of its rows, scattered).</summary>
    public unsafe void Prefetch(int slot)
    {
        if (Sse.IsSupported)
        {
            var words = _words.Span(slot * WordsPerSlot, WordsPerSlot);
            Sse.Prefetch0(Unsafe.AsPointer(ref MemoryMarshal.GetReference(words)));
        }
    }

    /// <summary>Bits in which a slot's sketch differs from <paramref name="sketch"/> (<see cref="WordsPerSlot"/> words).</summary>
    public int Hamming(ReadOnlySpan<ulong> sketch, int slot)
    {
        var words = _words.Span(slot * WordsPerSlot, WordsPerSlot);
        var bits = 0;
        for (var w = 0; w < words.Length; w++)
        {
            bits += BitOperations.PopCount(sketch[w] ^ words[w]);
        }

        return bits;
    }
}
