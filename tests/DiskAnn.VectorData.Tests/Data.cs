using System.Numerics.Tensors;
using Microsoft.Extensions.VectorData;

namespace DiskAnn.VectorData.Tests;

/// <summary>Deterministic test data and the exact model results are checked against.</summary>
public static class Data
{
    private static readonly string[] Langs = ["en", "de", "fr", "es"];
    private static readonly string[] AllTags = ["pool", "spa", "gym", "bar", "wifi"];
    private static readonly string[] Words = ["quiet", "central", "modern", "historic", "cozy", "luxury", "budget", "family", "river", "mountain"];

    public static float[] RandomVector(Random random, int dimensions)
    {
        var v = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    public static List<Hotel> Hotels(int count, int seed = 7)
    {
        var random = new Random(seed);
        var hotels = new List<Hotel>(count);
        for (var i = 1; i <= count; i++)
        {
            hotels.Add(new Hotel
            {
                Id = i,
                Lang = random.Next(10) == 0 ? null : Langs[random.Next(Langs.Length)],
                Rating = random.Next(1, 6),
                Price = Math.Round(random.NextDouble() * 300, 2),
                Open = random.Next(2) == 0,
                Code = random.Next(5) == 0 ? null : random.Next(0, 50),
                Stars = random.Next(4) == 0 ? null : random.Next(1, 6),
                Tags = [.. AllTags.Where(_ => random.Next(3) == 0)],
                Description = $"{Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} hotel number {i}",
                Embedding = RandomVector(random, Hotel.Dimensions),
            });
        }

        return hotels;
    }

    /// <summary>The distance as the abstractions define it for <paramref name="function"/>.</summary>
    public static double Distance(string function, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => function switch
    {
        DistanceFunction.CosineDistance => 1 - TensorPrimitives.CosineSimilarity(a, b),
        DistanceFunction.EuclideanDistance => TensorPrimitives.Distance(a, b),
        DistanceFunction.NegativeDotProductSimilarity => -TensorPrimitives.Dot(a, b),
        _ => throw new ArgumentOutOfRangeException(nameof(function)),
    };
}
