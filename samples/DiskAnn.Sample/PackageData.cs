using System.IO.Compression;
using System.Text;

namespace DiskAnn.Sample;

/// <summary>One package of the shipped data set: its description and its all-MiniLM-L6-v2 embedding.</summary>
public sealed record PackageRecord(int Id, string Name, string Description, float[] Embedding);

/// <summary>
/// The compact form of the data set committed with the sample (<c>data/debian-packages.bin.gz</c>).
/// <para>
/// Layout, gzip-compressed, little-endian, column by column so that the texts compress well:
/// the magic <c>DAPKG1</c>; int32 count; int32 dimension; count int32 ids (the 1-based position in the
/// debian-minilm data set); count names and count descriptions (each a 7-bit-encoded UTF-8 length then the
/// bytes, as <see cref="BinaryWriter.Write(string)"/> writes them); count float32 scales; then for each vector
/// dimension int8 values. A vector is <c>q[i] * scale</c>, renormalised to unit length when read.
/// </para>
/// </summary>
public static class PackageData
{
    public const string FileName = "debian-packages.bin.gz";
    private static readonly byte[] Magic = "DAPKG1"u8.ToArray();

    /// <summary>Where the file sits next to the program (the csproj copies it there).</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "data", FileName);

    public static void Write(string path, IReadOnlyList<PackageRecord> packages)
    {
        var dimension = packages.Count == 0 ? 0 : packages[0].Embedding.Length;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
        using var writer = new BinaryWriter(gzip, Encoding.UTF8);
        writer.Write(Magic);
        writer.Write(packages.Count);
        writer.Write(dimension);
        foreach (var p in packages) writer.Write(p.Id);
        foreach (var p in packages) writer.Write(p.Name);
        foreach (var p in packages) writer.Write(p.Description);

        var quantised = new sbyte[packages.Count][];
        for (var i = 0; i < packages.Count; i++)
        {
            var v = packages[i].Embedding;
            if (v.Length != dimension) throw new InvalidDataException($"Package {packages[i].Name} has {v.Length} dimensions, not {dimension}.");
            var max = 0f;
            foreach (var x in v) max = MathF.Max(max, MathF.Abs(x));
            var scale = max == 0 ? 1f : max / 127f;
            var q = new sbyte[dimension];
            for (var d = 0; d < dimension; d++) q[d] = (sbyte)Math.Clamp(MathF.Round(v[d] / scale), -127, 127);
            quantised[i] = q;
            writer.Write(scale);
        }

        foreach (var q in quantised) writer.Write((ReadOnlySpan<byte>)System.Runtime.InteropServices.MemoryMarshal.AsBytes(q.AsSpan()));
    }

    /// <summary>How many packages the file holds (reads its header only).</summary>
    public static int ReadCount(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip, Encoding.UTF8);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a package data file (bad magic).");
        }

        return reader.ReadInt32();
    }

    public static List<PackageRecord> Read(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new BinaryReader(new BufferedStream(gzip, 1 << 16), Encoding.UTF8);
        if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a package data file (bad magic).");
        }

        var count = reader.ReadInt32();
        var dimension = reader.ReadInt32();
        var ids = new int[count];
        var names = new string[count];
        var descriptions = new string[count];
        var scales = new float[count];
        for (var i = 0; i < count; i++) ids[i] = reader.ReadInt32();
        for (var i = 0; i < count; i++) names[i] = reader.ReadString();
        for (var i = 0; i < count; i++) descriptions[i] = reader.ReadString();
        for (var i = 0; i < count; i++) scales[i] = reader.ReadSingle();

        var result = new List<PackageRecord>(count);
        for (var i = 0; i < count; i++)
        {
            var q = reader.ReadBytes(dimension);
            if (q.Length != dimension) throw new EndOfStreamException($"{path} is truncated.");
            var v = new float[dimension];
            var norm = 0f;
            for (var d = 0; d < dimension; d++)
            {
                v[d] = (sbyte)q[d] * scales[i];
                norm += v[d] * v[d];
            }

            norm = MathF.Sqrt(norm);
            if (norm > 0) for (var d = 0; d < dimension; d++) v[d] /= norm;
            result.Add(new PackageRecord(ids[i], names[i], descriptions[i], v));
        }

        return result;
    }
}
