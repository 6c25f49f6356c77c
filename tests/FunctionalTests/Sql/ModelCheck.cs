using System.Globalization;
using DiskAnn;
using Microsoft.Data.Sqlite;
using Xunit.Sdk;

namespace FunctionalTests.Sql;

/// <summary>
/// Compares a <c>diskann</c> table with an exact model of its rows (rowid to the vector's bytes), the way a user would
/// notice a difference: a scan that shows other rows or other vectors, an exhaustive KNN (k = every row,
/// search_list_size = 10000) that misses a row, repeats one, or ranks them out of exact distance order, a KNN at the
/// default search_list_size that returns too few rows or wrong distances. Every failure is an <see cref="XunitException"/>
/// whose message says what differed.
/// </summary>
public static class ModelCheck
{
    public const int MaxK = 10000;

    /// <summary>Rows of a query returning (integer id, BLOB vector), by id.</summary>
    public static SortedDictionary<long, byte[]> Rows(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new SortedDictionary<long, byte[]>();
        while (reader.Read())
        {
            var id = reader.GetInt64(0);
            var vector = reader.IsDBNull(1) ? [] : (byte[])reader.GetValue(1);
            if (!rows.TryAdd(id, vector))
            {
                throw new XunitException($"`{sql}` returned rowid {id} twice");
            }
        }

        return rows;
    }

    /// <summary>All of the checks below: the scan, an exhaustive KNN for each query, a KNN at the default search_list_size for the first.</summary>
    public static void All(SqliteConnection connection, string table, string metric, IReadOnlyDictionary<long, byte[]> model, IReadOnlyList<float[]> queries)
        => All(() => Rows(connection, $"SELECT rowid, vector FROM {table}"), Knn(connection, table), metric, model, queries);

    /// <summary>
    /// The checks for a <c>quantization=int8</c> table, which stores an approximation of each vector: the scan holds
    /// exactly the model's rowids, each vector within half a quantization step of the model's; the KNN checks then hold
    /// against the stored vectors, the ones whose distances the index reports.
    /// </summary>
    public static void AllQuantized(SqliteConnection connection, string table, string metric, IReadOnlyDictionary<long, byte[]> model, IReadOnlyList<float[]> queries)
    {
        var scan = Rows(connection, $"SELECT rowid, vector FROM {table}");
        var missing = model.Keys.Where(id => !scan.ContainsKey(id)).Order().ToList();
        var extra = scan.Keys.Where(id => !model.ContainsKey(id)).ToList();
        var changed = scan.Where(r => model.TryGetValue(r.Key, out var v) && !WithinOneStep(DiskAnnVector.FromBlob(v), DiskAnnVector.FromBlob(r.Value))).Select(r => r.Key).ToList();
        if (missing.Count + extra.Count + changed.Count > 0)
        {
            throw new XunitException(
                $"the scan differs from the model ({model.Count} rows; the scan has {scan.Count}): "
                + $"missing rowids {Ids(missing)}; extra rowids {Ids(extra)}; vectors beyond the int8 step at rowids {Ids(changed)}");
        }

        var stored = scan.ToDictionary(r => r.Key, r => DiskAnnVector.FromBlob(r.Value));
        var knn = Knn(connection, table);
        foreach (var query in queries)
        {
            ExhaustiveKnn(knn, metric, stored, query);
        }

        if (queries.Count > 0)
        {
            DefaultKnn(knn, metric, stored, queries[0], 10);
        }
    }

    /// <summary>int8 storage keeps v[i] as round(v[i] / s) * s with s = max|v| / 127: within half a step of each value.</summary>
    private static bool WithinOneStep(float[] original, float[] stored)
    {
        var step = original.Length == 0 ? 0 : original.Max(MathF.Abs) / 127f;
        return original.Length == stored.Length && original.Zip(stored).All(p => MathF.Abs(p.First - p.Second) <= (0.51f * step) + 1e-6f);
    }

    /// <summary>The same checks against any source of a scan and of KNN answers (the harness checks itself with an exact scan).</summary>
    public static void All(Func<SortedDictionary<long, byte[]>> scan, KnnSearch knn, string metric, IReadOnlyDictionary<long, byte[]> model, IReadOnlyList<float[]> queries)
    {
        Scan(scan(), model);
        var vectors = model.ToDictionary(r => r.Key, r => DiskAnnVector.FromBlob(r.Value));
        foreach (var query in queries)
        {
            ExhaustiveKnn(knn, metric, vectors, query);
        }

        if (queries.Count > 0)
        {
            DefaultKnn(knn, metric, vectors, queries[0], 10);
        }
    }

    /// <summary>KNN answers from a diskann table: k rows nearest first, at search_list_size = 10000 when exhaustive, else the default.</summary>
    public static KnnSearch Knn(SqliteConnection connection, string table)
        => (query, k, exhaustive) => connection.Knn(table, query, k, exhaustive ? $"AND search_list_size = {MaxK}" : "");

    /// <summary><c>SELECT rowid, vector FROM table</c> holds exactly the model's rows, each with the same bytes.</summary>
    public static void Scan(SortedDictionary<long, byte[]> scan, IReadOnlyDictionary<long, byte[]> model)
    {
        var missing = model.Keys.Where(id => !scan.ContainsKey(id)).Order().ToList();
        var extra = scan.Keys.Where(id => !model.ContainsKey(id)).ToList();
        var changed = scan.Where(r => model.TryGetValue(r.Key, out var v) && !v.AsSpan().SequenceEqual(r.Value)).Select(r => r.Key).ToList();
        if (missing.Count + extra.Count + changed.Count > 0)
        {
            throw new XunitException(
                $"the scan differs from the model ({model.Count} rows; the scan has {scan.Count}): "
                + $"missing rowids {Ids(missing)}; extra rowids {Ids(extra)}; other vector bytes at rowids {Ids(changed)}");
        }
    }

    /// <summary>
    /// k = every row (at most 10000) and search_list_size = 10000: every model row exactly once, nearest first, each
    /// distance the exact one, and position by position the exact sorted distances (ties may come in any order).
    /// </summary>
    public static void ExhaustiveKnn(KnnSearch knn, string metric, IReadOnlyDictionary<long, float[]> model, float[] query)
    {
        var k = Math.Clamp(model.Count, 1, MaxK);
        var what = $"exhaustive KNN (k = {k}, search_list_size = {MaxK}) from {Show(query)}";
        var result = knn(query, k, true);
        var expectedCount = Math.Min(model.Count, MaxK);
        var returned = result.Select(r => r.RowId).ToList();
        var duplicates = returned.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var extra = returned.Where(id => !model.ContainsKey(id)).Distinct().ToList();
        var seen = returned.ToHashSet();
        var missing = model.Keys.Where(id => !seen.Contains(id)).Order().ToList();
        if (result.Count != expectedCount || duplicates.Count > 0 || extra.Count > 0 || (model.Count <= MaxK && missing.Count > 0))
        {
            throw new XunitException(
                $"{what} returned {result.Count} rows for {model.Count} in the model: {missing.Count} rows no search reaches "
                + $"(rowids {Ids(missing)}); repeated rowids {Ids(duplicates)}; rowids not in the model {Ids(extra)}");
        }

        CheckDistances(what, metric, model, query, result, exhaustive: true);
    }

    /// <summary>
    /// A KNN at the table's default search_list_size: min(k, rows) distinct rows of the model, nearest first, each
    /// with its exact distance. (Which rows is approximate; how many is not: every row is reachable.)
    /// </summary>
    public static void DefaultKnn(KnnSearch knn, string metric, IReadOnlyDictionary<long, float[]> model, float[] query, int k)
    {
        var what = $"KNN (k = {k}, default search_list_size) from {Show(query)}";
        var result = knn(query, k, false);
        var returned = result.Select(r => r.RowId).ToList();
        var duplicates = returned.GroupBy(id => id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        var extra = returned.Where(id => !model.ContainsKey(id)).Distinct().ToList();
        if (result.Count != Math.Min(k, model.Count) || duplicates.Count > 0 || extra.Count > 0)
        {
            throw new XunitException(
                $"{what} returned {result.Count} rows (expected {Math.Min(k, model.Count)} of the {model.Count}): "
                + $"repeated rowids {Ids(duplicates)}; rowids not in the model {Ids(extra)}");
        }

        CheckDistances(what, metric, model, query, result, exhaustive: false);
    }

    /// <summary>The tolerance between the module's float32 distance and the double reference.</summary>
    public static double Tolerance(double distance) => 1e-4 + (1e-5 * Math.Abs(distance));

    private static void CheckDistances(string what, string metric, IReadOnlyDictionary<long, float[]> model, float[] query, List<(long RowId, double Distance)> result, bool exhaustive)
    {
        for (var i = 0; i < result.Count; i++)
        {
            var (id, distance) = result[i];
            if (i > 0 && distance < result[i - 1].Distance)
            {
                throw new XunitException($"{what}: not nearest first: position {i} (rowid {id}) at {distance:R} after {result[i - 1].Distance:R}");
            }

            var exact = SqlHelpers.ReferenceDistance(metric, query, model[id]);
            if (Math.Abs(exact - distance) > Tolerance(exact))
            {
                throw new XunitException($"{what}: rowid {id} reported at distance {distance:R}, its exact distance is {exact:R}");
            }
        }

        if (!exhaustive)
        {
            return;
        }

        // Position by position against the exact sorted distances: the rows are in exact order, up to ties.
        var sorted = model.Values.Select(v => SqlHelpers.ReferenceDistance(metric, query, v)).Order().Take(result.Count).ToList();
        for (var i = 0; i < result.Count; i++)
        {
            var exact = SqlHelpers.ReferenceDistance(metric, query, model[result[i].RowId]);
            if (Math.Abs(exact - sorted[i]) > Tolerance(sorted[i]))
            {
                throw new XunitException($"{what}: position {i} holds rowid {result[i].RowId} at exact distance {exact:R}; the exact ranking has {sorted[i]:R} there");
            }
        }
    }

    public static string Ids(IReadOnlyCollection<long> ids) => ids.Count == 0
        ? "none"
        : string.Join(", ", ids.Take(12).Select(id => id.ToString(CultureInfo.InvariantCulture))) + (ids.Count > 12 ? $", ... ({ids.Count} in all)" : "");

    public static string Show(float[] vector) => "[" + string.Join(", ", vector.Select(x => x.ToString("0.###", CultureInfo.InvariantCulture))) + "]";
}
