using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DiskAnn.Benchmarks;

/// <summary>The distance the benchmark orders by; the SQL name is what <c>diskann(metric=...)</c> takes.</summary>
public enum Metric
{
    Cosine,
    L2,
}

/// <summary>Base and query vectors in two flat row-major arrays, with the precomputed norms cosine needs.</summary>
public sealed class Dataset
{
    public const int DebianQueryCount = 1000;

    private Dataset(string name, int dimension, Metric metric, float[] baseVectors, float[] queries)
    {
        Name = name;
        Dimension = dimension;
        Metric = metric;
        BaseVectors = baseVectors;
        Queries = queries;
        BaseCount = baseVectors.Length / dimension;
        QueryCount = queries.Length / dimension;
        BaseNorms = new float[BaseCount];
        for (var i = 0; i < BaseCount; i++)
        {
            BaseNorms[i] = TensorPrimitives.Norm(Base(i));
        }

        QueryBlobs = new byte[QueryCount][];
        for (var i = 0; i < QueryCount; i++)
        {
            QueryBlobs[i] = DiskAnnVector.ToBlob(Query(i));
        }
    }

    public string Name { get; }

    public int Dimension { get; }

    public Metric Metric { get; }

    public int BaseCount { get; }

    public int QueryCount { get; }

    /// <summary>BaseCount x Dimension floats, row after row.</summary>
    public float[] BaseVectors { get; }

    public float[] Queries { get; }

    public float[] BaseNorms { get; }

    /// <summary>Each query as the BLOB the SQL surface takes, made once so query loops do not allocate them.</summary>
    public byte[][] QueryBlobs { get; }

    public string SqlMetric => Metric == Metric.Cosine ? "cosine" : "l2";

    public long RawBytes => (long)BaseCount * Dimension * sizeof(float);

    public ReadOnlySpan<float> Base(int index) => BaseVectors.AsSpan(index * Dimension, Dimension);

    public ReadOnlySpan<float> Query(int index) => Queries.AsSpan(index * Dimension, Dimension);

    /// <summary>The exact distance between two vectors, as the SQL scalar functions define it.</summary>
    public float Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => Metric switch
    {
        Metric.Cosine => 1f - TensorPrimitives.CosineSimilarity(a, b),
        _ => TensorPrimitives.Distance(a, b),
    };

    /// <summary>
    /// Reads an fvecs file. Base = all vectors but the last 1,000 (62,666 for debian-minilm), queries = the last 1,000,
    /// as the data README says; <paramref name="baseLimit"/> keeps the first n base vectors, <paramref name="queryLimit"/>
    /// the first n queries.
    /// </summary>
    public static Dataset LoadFvecs(string path, int? baseLimit, int? queryLimit, Metric metric)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Span<byte> header = stackalloc byte[4];
        stream.ReadExactly(header);
        var dimension = BitConverter.ToInt32(header);
        var recordBytes = 4 + (dimension * 4);
        if (dimension <= 0 || stream.Length % recordBytes != 0)
        {
            throw new InvalidDataException($"{path} is not an fvecs file (dimension {dimension}, length {stream.Length}).");
        }

        var total = (int)(stream.Length / recordBytes);
        var queryTotal = Math.Min(DebianQueryCount, total / 2);
        var baseTotal = total - queryTotal;
        var baseCount = Math.Min(baseLimit ?? baseTotal, baseTotal);
        var queryCount = Math.Min(queryLimit ?? queryTotal, queryTotal);

        var baseVectors = new float[(long)baseCount * dimension];
        var queries = new float[(long)queryCount * dimension];
        stream.Position = 0;
        ReadRecords(stream, dimension, baseVectors, baseCount);
        stream.Position = (long)baseTotal * recordBytes;
        ReadRecords(stream, dimension, queries, queryCount);
        return new Dataset($"{Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(path)))} ({baseCount:N0} base, {queryCount:N0} queries, {dimension}-d, {metric.ToString().ToLowerInvariant()})", dimension, metric, baseVectors, queries);
    }

    private static void ReadRecords(Stream stream, int dimension, float[] target, int count)
    {
        var bytes = MemoryMarshal.AsBytes(target.AsSpan());
        Span<byte> header = stackalloc byte[4];
        for (var i = 0; i < count; i++)
        {
            stream.ReadExactly(header);
            if (BitConverter.ToInt32(header) != dimension)
            {
                throw new InvalidDataException($"Record {i} does not have dimension {dimension}.");
            }

            stream.ReadExactly(bytes.Slice(i * dimension * 4, dimension * 4));
        }
    }

    /// <summary>
    /// Clustered Gaussian vectors: sqrt(n) cluster centres drawn from N(0, 1) per coordinate, each point a centre plus
    /// N(0, 0.35^2) noise; queries drawn from the same mixture (never inserted). Deterministic for a seed.
    /// </summary>
    public static Dataset Synthetic(int baseCount, int queryCount, int dimension, Metric metric, int seed = 42)
    {
        var random = new Random(seed);
        var clusters = Math.Max(16, (int)Math.Sqrt(baseCount));
        var centres = new float[clusters * dimension];
        for (var i = 0; i < centres.Length; i++)
        {
            centres[i] = Gaussian(random);
        }

        float[] Sample(int count)
        {
            var data = new float[(long)count * dimension];
            for (var i = 0; i < count; i++)
            {
                var c = random.Next(clusters);
                for (var j = 0; j < dimension; j++)
                {
                    data[((long)i * dimension) + j] = centres[(c * dimension) + j] + (0.35f * Gaussian(random));
                }
            }

            return data;
        }

        var baseVectors = Sample(baseCount);
        var queries = Sample(queryCount);
        return new Dataset($"synthetic clustered Gaussian ({baseCount:N0} base, {queryCount:N0} queries, {dimension}-d, {clusters} clusters, {metric.ToString().ToLowerInvariant()})", dimension, metric, baseVectors, queries);
    }

    private static float Gaussian(Random random)
    {
        // Box-Muller; one value per call is plenty for a generator that runs once.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
