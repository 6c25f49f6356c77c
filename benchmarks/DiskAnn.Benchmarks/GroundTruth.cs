using System.Numerics.Tensors;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Exact k-nearest neighbours over a <see cref="Dataset"/>'s base vectors (or a subset of them), with SIMD distance
/// kernels; the in-process "exact scan" and the source of ground truth. Not thread-safe: one per thread.
/// </summary>
public sealed class ExactSearcher(Dataset data)
{
    /// <summary>
    /// Writes the k nearest base indices (nearest first) among <paramref name="candidates"/> (all rows when empty)
    /// and returns how many were found. No allocation.
    /// </summary>
    public int Search(ReadOnlySpan<float> query, int k, ReadOnlySpan<int> candidates, Span<int> ids, Span<float> distances)
    {
        var count = 0;
        var cosine = data.Metric == Metric.Cosine;
        var queryNorm = cosine ? TensorPrimitives.Norm(query) : 1f;
        var all = candidates.IsEmpty;
        var n = all ? data.BaseCount : candidates.Length;
        var dim = data.Dimension;
        var vectors = data.BaseVectors.AsSpan();
        var norms = data.BaseNorms;
        for (var c = 0; c < n; c++)
        {
            var i = all ? c : candidates[c];
            var row = vectors.Slice(i * dim, dim);
            var d = cosine
                ? 1f - (TensorPrimitives.Dot(query, row) / (queryNorm * norms[i]))
                : TensorPrimitives.Distance(query, row);
            if (count < k || d < distances[k - 1])
            {
                Insert(ids, distances, ref count, k, i, d);
            }
        }

        return count;
    }

    /// <summary>
    /// Exact top-k for a block of queries in one pass over the rows, so each row is read from memory once per block
    /// rather than once per query (the single-query scan is memory-bound).
    /// </summary>
    public void SearchBlock(int firstQuery, int queryCount, int k, ReadOnlySpan<int> candidates, Span<int> ids, Span<float> distances, Span<int> counts)
    {
        var cosine = data.Metric == Metric.Cosine;
        var dim = data.Dimension;
        Span<float> queryNorms = stackalloc float[queryCount];
        for (var j = 0; j < queryCount; j++)
        {
            queryNorms[j] = cosine ? TensorPrimitives.Norm(data.Query(firstQuery + j)) : 1f;
            counts[j] = 0;
        }

        var all = candidates.IsEmpty;
        var n = all ? data.BaseCount : candidates.Length;
        var vectors = data.BaseVectors.AsSpan();
        var norms = data.BaseNorms;
        for (var c = 0; c < n; c++)
        {
            var i = all ? c : candidates[c];
            var row = vectors.Slice(i * dim, dim);
            for (var j = 0; j < queryCount; j++)
            {
                var query = data.Query(firstQuery + j);
                var d = cosine
                    ? 1f - (TensorPrimitives.Dot(query, row) / (queryNorms[j] * norms[i]))
                    : TensorPrimitives.Distance(query, row);
                var topIds = ids.Slice(j * k, k);
                var topDistances = distances.Slice(j * k, k);
                if (counts[j] < k || d < topDistances[k - 1])
                {
                    Insert(topIds, topDistances, ref counts[j], k, i, d);
                }
            }
        }
    }

    private static void Insert(Span<int> ids, Span<float> distances, ref int count, int k, int id, float d)
    {
        var pos = count < k ? count++ : k - 1;
        while (pos > 0 && distances[pos - 1] > d)
        {
            distances[pos] = distances[pos - 1];
            ids[pos] = ids[pos - 1];
            pos--;
        }

        distances[pos] = d;
        ids[pos] = id;
    }
}

/// <summary>Exact top-k per query (base indices, nearest first), computed on every core.</summary>
public sealed class GroundTruth
{
    /// <summary>Distances closer than this to the k-th exact distance count as ties.</summary>
    public const float TieEpsilon = 1e-5f;

    private GroundTruth(int k, int[] ids, float[] distances, int[] counts)
    {
        K = k;
        Ids = ids;
        Distances = distances;
        Counts = counts;
    }

    public int K { get; }

    public int[] Ids { get; }

    public float[] Distances { get; }

    /// <summary>How many neighbours each query has (less than k only when a filter allows fewer rows).</summary>
    public int[] Counts { get; }

    public ReadOnlySpan<int> Neighbours(int query) => Ids.AsSpan(query * K, Counts[query]);

    /// <summary>Exact top-k for every query among <paramref name="candidates"/> (every base row when null).</summary>
    public static GroundTruth Compute(Dataset data, int k, int[]? candidates = null)
    {
        var ids = new int[data.QueryCount * k];
        var distances = new float[data.QueryCount * k];
        var counts = new int[data.QueryCount];
        if (candidates is { Length: 0 })
        {
            return new GroundTruth(k, ids, distances, counts);
        }

        const int block = 16;
        Parallel.For(
            0,
            (data.QueryCount + block - 1) / block,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            b =>
            {
                var first = b * block;
                var n = Math.Min(block, data.QueryCount - first);
                new ExactSearcher(data).SearchBlock(first, n, k, candidates, ids.AsSpan(first * k, n * k), distances.AsSpan(first * k, n * k), counts.AsSpan(first, n));
            });
        return new GroundTruth(k, ids, distances, counts);
    }

    /// <summary>
    /// Recall@k of one answer (base indices) by id sets, accepting a tie: a returned row counts when it is allowed and
    /// its exact distance is within <see cref="TieEpsilon"/> of the k-th exact distance. Duplicates count once.
    /// </summary>
    public double Recall(Dataset data, int query, ReadOnlySpan<int> found, bool[]? allowed = null)
    {
        var expected = Counts[query];
        if (expected == 0)
        {
            return 1.0;
        }

        var kth = Distances[(query * K) + expected - 1];
        var q = data.Query(query);
        var hits = 0;
        var n = Math.Min(found.Length, K);
        for (var i = 0; i < n; i++)
        {
            var id = found[i];
            if (id < 0 || id >= data.BaseCount || (allowed is not null && !allowed[id]) || found[..i].Contains(id))
            {
                continue;
            }

            if (data.Distance(q, data.Base(id)) <= kth + TieEpsilon)
            {
                hits++;
            }
        }

        return Math.Min(1.0, (double)hits / expected);
    }
}
