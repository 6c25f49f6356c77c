namespace DiskAnn.Benchmarks;

/// <summary>
/// The recall/QPS picture of README (`plot`): diskann through SQL (float32 and int8 tables), USearch in the same
/// process and the exact scans, on one pair of axes in the manner of ann-benchmarks (up and right is better), written
/// as an SVG (<c>--out</c>, default docs/recall-qps.svg) with the table of the points it plots.
/// </summary>
public static class PlotBench
{
    public static void Run(BenchContext context)
    {
        var data = context.Data;
        var options = context.Options;
        var k = context.K;
        var listSizes = options.SearchListSizes.Where(l => l >= k).ToArray();

        var ours = SqlBench.Run(context);
        var int8 = CompressedBench.Int8Curve(context, listSizes);
        var usearch = CompareBench.RunUSearch(context);

        var chart = new RecallQpsChart($"{data.Name}, recall@{k}, one query at a time");
        chart.Add("diskann through SQL (float32)", "#1f77b4", [.. ours.Curve.Select(c => (c.Outcome.Recall, c.Outcome.Qps, $"L={c.L}"))]);
        chart.Add("diskann through SQL (quantization=int8)", "#2ca02c", [.. int8.Select(c => (c.Outcome.Recall, c.Outcome.Qps, $"L={c.L}"))]);
        chart.Add("USearch 2.26.6 HNSW, in process", "#ff7f0e", [.. usearch.Curve.Select(c => (c.Outcome.Recall, c.Outcome.Qps, $"ef={c.Expansion}"))]);
        chart.Add("exact SIMD scan, in process", "#7f7f7f", [(ours.ExactSimd.Recall, ours.ExactSimd.Qps, "")]);
        chart.Add("exact scan through SQL", "#d62728", [(ours.ExactSql.Recall, ours.ExactSql.Qps, "")]);

        var path = options.Get("out") ?? Path.Combine("docs", "recall-qps.svg");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, chart.ToSvg());
        Report.Heading($"Recall against QPS (`plot`) — {data.Name}, k = {k}");
        var table = new MarkdownTable("series", "setting", $"recall@{k}", "QPS");
        foreach (var (name, _, points) in chart.Series)
        {
            foreach (var (recall, qps, label) in points)
            {
                table.Add(name, label, recall, qps);
            }
        }

        Report.Table(table);
        Report.Line($"Plotted to `{path}`.");
    }
}
