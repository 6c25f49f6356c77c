namespace DiskAnn.VectorData;

/// <summary>Parameter names of the upsert statements, made once: binding by name on every row would otherwise allocate a string per value.</summary>
internal static class ParameterNames
{
    private static readonly string[] Data = [.. Enumerable.Range(0, 256).Select(i => "@p" + i)];
    private static readonly string[] Filter = [.. Enumerable.Range(0, DiskAnnLimits.MaxFilterColumns).Select(i => "@f" + i)];

    public static string P(int i) => i < Data.Length ? Data[i] : "@p" + i;

    public static string F(int i) => Filter[i];
}
