using System.Globalization;

namespace DiskAnn.Benchmarks;

/// <summary>
/// Distance thresholds (issue 13): <c>AND distance &lt; t</c> answered by the index (the rows of the k nearest within t)
/// against the plain KNN of the same table, at thresholds set from the exact k-th nearest distances; recall against the
/// exact thresholded answer (the exact k nearest within t). Beside them, the form EF Core wrote before: the distance
/// computed for every row in a <c>rowid IN</c> subquery.
/// </summary>
public static class ThresholdBench
{
    public static void Run(BenchContext context)
    {
        var built = SqlBench.Run(context);
        var data = context.Data;
        var truth = context.Truth;
        var k = context.K;
        var l = built.OperatingL;
        var n = data.QueryCount;

        // The thresholds: the median over the queries of the k-th and of the (k/2)-th nearest exact distance.
        double Median(int rank) => Enumerable.Range(0, n).Select(q => (double)truth.Distances[(q * k) + rank - 1]).Order().ElementAt(n / 2);
        var thresholds = new[] { ($"median {k}th-nearest distance", Median(k)), ($"median {k / 2}th-nearest distance (tighter)", Median(k / 2)) };

        using var connection = SqlIndex.Open(built.DbPath);
        using var plain = new KnnQuery(connection, SqlBench.Table, k, withListSize: true);
        plain.ListSize = l;
        plain.Prepare();
        var knn = QueryRun.Measure(data, truth, k, (q, found) => plain.Run(data.QueryBlobs[q], found));
        Report.Progress($"threshold: plain KNN {knn.MeanMs:0.000} ms, recall {knn.Recall:0.0000}");

        Report.Heading($"Distance thresholds: `AND distance < t` in the search (k = {k}, L = {l}, {n:N0} queries, {data.BaseCount:N0} rows, {data.SqlMetric})");
        var table = new MarkdownTable("query", "t", "rows within t (mean of the exact answer)", "rows returned (mean)", "recall vs exact thresholded", "mean ms", "p90 ms", "vs plain KNN");
        table.Add($"plain KNN, k = {k}", "", "", k, knn.Recall, knn.MeanMs, knn.P90Ms, Report.X(1));
        foreach (var (label, t) in thresholds)
        {
            var literal = t.ToString("R", CultureInfo.InvariantCulture);
            using var query = new KnnQuery(connection, SqlBench.Table, k, withListSize: true, extraWhere: $"distance < {literal}");
            query.ListSize = l;
            query.Prepare();
            var answers = new int[n][];
            var outcome = QueryRun.Measure(data, truth, k, (q, found) =>
            {
                var count = query.Run(data.QueryBlobs[q], found);
                answers[q] = found[..count].ToArray();
                return count;
            });

            long expected = 0, returned = 0, hits = 0;
            for (var q = 0; q < n; q++)
            {
                var within = truth.Neighbours(q).ToArray().Where((_, i) => truth.Distances[(q * k) + i] < t).ToHashSet();
                expected += within.Count;
                returned += answers[q].Length;
                hits += answers[q].Count(within.Contains);
            }

            var recall = expected == 0 ? 1.0 : (double)hits / expected;
            table.Add($"`distance < t`, {label}", literal, (double)expected / n, (double)returned / n, recall, outcome.MeanMs, outcome.P90Ms, Report.X(outcome.MeanMs / knn.MeanMs));
            Report.Progress($"threshold {label} (t = {literal}): within {(double)expected / n:0.00}, returned {(double)returned / n:0.00}, recall {recall:0.0000}, {outcome.MeanMs:0.000} ms");
        }

        // What EF Core wrote before: the distance of every row, in the filter subquery (fewer queries: each is a scan).
        var (_, median) = thresholds[0];
        var function = data.SqlMetric == "cosine" ? "vector_distance_cosine" : "vector_distance_l2";
        using var subquery = new KnnQuery(connection, SqlBench.Table, k, withListSize: true, extraWhere: $"rowid IN (SELECT rowid FROM {SqlBench.Table} WHERE {function}(vector, $q) < {median.ToString("R", CultureInfo.InvariantCulture)})");
        subquery.ListSize = l;
        subquery.Prepare();
        var scanQueries = Math.Min(n, context.Options.ExactSqlQueries);
        var scan = QueryRun.Measure(data, truth, k, (q, found) => subquery.Run(data.QueryBlobs[q], found), queryCount: scanQueries, warmup: 5);
        table.Add($"before: `rowid IN (SELECT rowid ... WHERE {function}(vector, $q) < t)`, {scanQueries} queries", "median", "", "", "", scan.MeanMs, scan.P90Ms, Report.X(scan.MeanMs / knn.MeanMs));
        Report.Table(table);
        Report.Line("Recall is over the rows of the exact answer (the exact k nearest within t): found / expected, summed over the queries.");
    }
}
