using DiskAnn.Distance;

namespace DiskAnn.Native.Tests;

/// <summary>The int8 kernels against plain loops, at lengths that exercise the SIMD body and the scalar tail.</summary>
public class Int8MathTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(384)]
    [InlineData(1001)]
    public void Kernels_agree_with_plain_loops(int length)
    {
        var random = new Random(length);
        var a = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var b = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray();
        var ca = new sbyte[length];
        var cb = new sbyte[length];
        var sa = Int8Math.Quantize(a, ca);
        var sb = Int8Math.Quantize(b, cb);

        Assert.Equal(ca.Zip(cb, (x, y) => x * y).Sum(), Int8Math.Dot(ca, cb));
        Assert.Equal(a.Zip(cb, (x, y) => (double)x * y).Sum(), Int8Math.Dot(a, cb), 0.01 * length);
        Assert.Equal(a.Zip(cb, (x, y) => Math.Pow(x - (sb * y), 2)).Sum(), Int8Math.SquaredDistance(a, cb, sb), 1e-3 * length);

        // Each decoded component is within half a quantization step of the original.
        var decoded = new float[length];
        Int8Math.Dequantize(ca, sa, decoded);
        Assert.All(decoded.Zip(a), p => Assert.InRange(p.First - p.Second, -(sa / 2) - 1e-6f, (sa / 2) + 1e-6f));
        Assert.Contains(ca, c => Math.Abs(c) == 127);
    }

    [Fact]
    public void The_zero_vector_has_scale_zero_and_zero_codes()
    {
        var codes = new sbyte[8];
        codes.AsSpan().Fill(5);
        Assert.Equal(0f, Int8Math.Quantize(new float[8], codes));
        Assert.All(codes, c => Assert.Equal(0, c));
    }
}
