using Microsoft.Extensions.AI;

namespace DiskAnn.VectorData.Tests;

/// <summary>
/// A deterministic embedder: each word adds a fixed pseudo-random unit vector (seeded by the word), so texts sharing
/// words are near each other and the same text always gives the same vector. Counts its calls.
/// </summary>
public sealed class FakeEmbeddingGenerator(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls { get; private set; }

    public int Dimensions => dimensions;

    public float[] Embed(string text)
    {
        var v = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var random = new Random(StableHash(word));
            for (var i = 0; i < dimensions; i++)
            {
                v[i] += (float)((random.NextDouble() * 2) - 1);
            }
        }

        return v;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(v => new Embedding<float>(Embed(v)))));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static int StableHash(string word)
    {
        var hash = 17;
        foreach (var c in word)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
