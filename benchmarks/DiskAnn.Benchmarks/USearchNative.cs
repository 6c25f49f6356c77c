using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace DiskAnn.Benchmarks;

/// <summary>
/// USearch through its C API (the same native library the Cloud.Unum.USearch package ships and binds), so the build
/// can add from several threads into a pre-reserved index and the search loop does not allocate. The managed
/// wrapper of 2.26.6 offers neither a reserve nor a thread count.
/// </summary>
public sealed unsafe partial class USearchNative : IDisposable
{
    private const string Lib = "libusearch_c";
    private nint _index;

    public USearchNative(MetricKind metric, int dimensions, int connectivity, int expansionAdd, int expansionSearch)
    {
        var options = new IndexOptions
        {
            metric_kind = metric,
            metric = 0,
            quantization = ScalarKind.Float32,
            dimensions = (ulong)dimensions,
            connectivity = (ulong)connectivity,
            expansion_add = (ulong)expansionAdd,
            expansion_search = (ulong)expansionSearch,
            multi = false,
        };
        _index = usearch_init(ref options, out var error);
        Check(error);
    }

    /// <summary>Reserves room for <paramref name="capacity"/> vectors and sets the add/search thread budget.</summary>
    public void Reserve(int capacity, int threads)
    {
        usearch_reserve(_index, (nuint)capacity, out var error);
        Check(error);
        usearch_change_threads_add(_index, (nuint)threads, out error);
        Check(error);
        usearch_change_threads_search(_index, (nuint)threads, out error);
        Check(error);
    }

    public void Add(ulong key, ReadOnlySpan<float> vector)
    {
        fixed (float* p = vector)
        {
            usearch_add(_index, key, p, ScalarKind.Float32, out var error);
            Check(error);
        }
    }

    public int Search(ReadOnlySpan<float> query, Span<ulong> keys, Span<float> distances)
    {
        fixed (float* q = query)
        fixed (ulong* k = keys)
        fixed (float* d = distances)
        {
            var found = usearch_search(_index, q, ScalarKind.Float32, (nuint)keys.Length, k, d, out var error);
            Check(error);
            return (int)found;
        }
    }

    public int ExpansionSearch
    {
        set
        {
            usearch_change_expansion_search(_index, (nuint)value, out var error);
            Check(error);
        }
    }

    public long MemoryUsage
    {
        get
        {
            var bytes = usearch_memory_usage(_index, out var error);
            Check(error);
            return (long)bytes;
        }
    }

    public long SerializedLength
    {
        get
        {
            var bytes = usearch_serialized_length(_index, out var error);
            Check(error);
            return (long)bytes;
        }
    }

    public void Dispose()
    {
        if (_index != 0)
        {
            usearch_free(_index, out _);
            _index = 0;
        }
    }

    private static void Check(nint error)
    {
        if (error != 0)
        {
            throw new InvalidOperationException("USearch: " + Marshal.PtrToStringUTF8(error));
        }
    }

    [DllImport(Lib)]
    private static extern nint usearch_init(ref IndexOptions options, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_free(nint index, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_reserve(nint index, nuint capacity, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_change_threads_add(nint index, nuint threads, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_change_threads_search(nint index, nuint threads, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_change_expansion_search(nint index, nuint expansion, out nint error);

    [LibraryImport(Lib)]
    private static partial void usearch_add(nint index, ulong key, float* vector, ScalarKind kind, out nint error);

    [LibraryImport(Lib)]
    private static partial nuint usearch_search(nint index, float* query, ScalarKind kind, nuint count, ulong* keys, float* distances, out nint error);

    [LibraryImport(Lib)]
    private static partial nuint usearch_memory_usage(nint index, out nint error);

    [LibraryImport(Lib)]
    private static partial nuint usearch_serialized_length(nint index, out nint error);
}
