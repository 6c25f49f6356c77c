namespace DiskAnn.Graph;

/// <summary>
/// A growable array in pages of 4,096 elements that a <see cref="Fork"/> shares with its copy: the first write to a
/// shared page, by either side, copies that page alone. A version of the index committed and shared by every connection
/// stays as it was while a writer's fork changes a few pages. Reads cost one more indirection than a flat array.
/// </summary>
internal sealed class CowArray<T>
{
    private const int Shift = 12;
    private const int PageSize = 1 << Shift;
    private const int Mask = PageSize - 1;

    private readonly T _fill;
    private readonly Lock _lock = new();
    private T[][] _pages = [];
    private bool[] _owned = [];

    /// <summary>An empty array whose new elements hold <paramref name="fill"/>.</summary>
    public CowArray(T fill = default!) => _fill = fill;

    public int Length => _pages.Length * PageSize;

    public T this[int index] => _pages[index >> Shift][index & Mask];

    public void Set(int index, T value) => Page(index >> Shift)[index & Mask] = value;

    /// <summary>
    /// <paramref name="length"/> elements from <paramref name="index"/>, read-only, which must lie in one page (a
    /// power-of-two length at a multiple of it does).
    /// </summary>
    public ReadOnlySpan<T> Span(int index, int length) => _pages[index >> Shift].AsSpan(index & Mask, length);

    /// <summary>A writable reference to an element (its page copied first if shared), for Interlocked updates.</summary>
    public ref T Ref(int index) => ref Page(index >> Shift)[index & Mask];

    /// <summary>Grows to at least <paramref name="length"/> elements; new ones hold the fill value.</summary>
    public void EnsureLength(int length)
    {
        var pages = (length + PageSize - 1) >> Shift;
        if (pages <= _pages.Length)
        {
            return;
        }

        var old = _pages.Length;
        Array.Resize(ref _pages, pages);
        Array.Resize(ref _owned, pages);
        for (var p = old; p < pages; p++)
        {
            _pages[p] = NewPage(_fill);
            _owned[p] = true;
        }
    }

    /// <summary>Every element set to <paramref name="value"/> (new pages: nothing is shared afterwards).</summary>
    public void Fill(T value)
    {
        for (var p = 0; p < _pages.Length; p++)
        {
            _pages[p] = NewPage(value);
            _owned[p] = true;
        }
    }

    /// <summary>A copy that shares every page with this array; from now on each side copies a page before writing it.</summary>
    public CowArray<T> Fork()
    {
        var fork = new CowArray<T>(_fill) { _pages = (T[][])_pages.Clone(), _owned = new bool[_pages.Length] };
        Array.Clear(_owned);
        return fork;
    }

    private static T[] NewPage(T value)
    {
        var page = new T[PageSize];
        if (!EqualityComparer<T>.Default.Equals(value, default!))
        {
            Array.Fill(page, value);
        }

        return page;
    }

    private T[] Page(int page)
    {
        if (Volatile.Read(ref _owned[page]))
        {
            return _pages[page];
        }

        // Parallel phases of a build write different elements of one page at once: one of them copies it.
        lock (_lock)
        {
            if (!_owned[page])
            {
                _pages[page] = (T[])_pages[page].Clone();
                Volatile.Write(ref _owned[page], true);
            }

            return _pages[page];
        }
    }
}
