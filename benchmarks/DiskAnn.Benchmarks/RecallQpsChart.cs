using System.Globalization;
using System.Text;

namespace DiskAnn.Benchmarks;

/// <summary>
/// A recall (x, linear) against QPS (y, log10) line chart as SVG text: no drawing library, so the benchmark program
/// has no native dependency and the picture is a small text file that diffs.
/// </summary>
public sealed class RecallQpsChart(string title)
{
    private const int Width = 880;
    private const int Height = 520;
    private const int Left = 80;
    private const int Right = 300;
    private const int Top = 50;
    private const int Bottom = 60;

    public List<(string Name, string Color, IReadOnlyList<(double Recall, double Qps, string Label)> Points)> Series { get; } = [];

    public void Add(string name, string color, IReadOnlyList<(double Recall, double Qps, string Label)> points) => Series.Add((name, color, points));

    public string ToSvg()
    {
        var all = Series.SelectMany(s => s.Points).ToList();
        var xMin = Math.Floor(Math.Min(0.9, all.Min(p => p.Recall)) * 20) / 20; // a multiple of 0.05
        const double xMax = 1.0;
        var yMin = Math.Floor(Math.Log10(all.Min(p => p.Qps)));
        var yMax = Math.Ceiling(Math.Log10(all.Max(p => p.Qps)));
        double X(double recall) => Left + ((recall - xMin) / (xMax - xMin) * (Width - Left - Right));
        double Y(double qps) => Height - Bottom - ((Math.Log10(qps) - yMin) / (yMax - yMin) * (Height - Top - Bottom));

        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"25\" text-anchor=\"middle\" font-size=\"14\">{Escape(title)}</text>\n"));
        for (var x = xMin; x <= xMax + 1e-9; x += 0.05)
        {
            svg.Append(Invariant($"<line x1=\"{X(x):0.#}\" y1=\"{Top}\" x2=\"{X(x):0.#}\" y2=\"{Height - Bottom}\" stroke=\"#e0e0e0\"/>"));
            svg.Append(Invariant($"<text x=\"{X(x):0.#}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{x:0.00}</text>\n"));
        }

        for (var y = yMin; y <= yMax + 1e-9; y++)
        {
            var qps = Math.Pow(10, y);
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Y(qps):0.#}\" x2=\"{Width - Right}\" y2=\"{Y(qps):0.#}\" stroke=\"#e0e0e0\"/>"));
            svg.Append(Invariant($"<text x=\"{Left - 8}\" y=\"{Y(qps) + 4:0.#}\" text-anchor=\"end\">{qps:#,0}</text>\n"));
        }

        svg.Append(Invariant($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#333\"/>\n"));
        svg.Append(Invariant($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 15}\" text-anchor=\"middle\">recall (higher is better)</text>\n"));
        svg.Append(Invariant($"<text transform=\"translate(22 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">queries a second, log scale (higher is better)</text>\n"));
        for (var i = 0; i < Series.Count; i++)
        {
            var (name, color, points) = Series[i];
            var ordered = points.OrderBy(p => p.Recall).ToList();
            if (ordered.Count > 1)
            {
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', ordered.Select(p => Invariant($"{X(p.Recall):0.#},{Y(p.Qps):0.#}")))}\"/>\n"));
            }

            foreach (var (recall, qps, label) in ordered)
            {
                svg.Append(Invariant($"<circle cx=\"{X(recall):0.#}\" cy=\"{Y(qps):0.#}\" r=\"3.5\" fill=\"{color}\"><title>{Escape(name)} {Escape(label)}: recall {recall:0.000}, {qps:#,0} QPS</title></circle>\n"));
            }

            var legendY = Top + 10 + (i * 22);
            svg.Append(Invariant($"<rect x=\"{Width - Right + 15}\" y=\"{legendY - 9}\" width=\"14\" height=\"10\" fill=\"{color}\"/>"));
            svg.Append(Invariant($"<text x=\"{Width - Right + 35}\" y=\"{legendY}\">{Escape(name)}</text>\n"));
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
