using System.Numerics.Tensors;
using DiskAnn;
using Microsoft.Data.Sqlite;

namespace FunctionalTests.Sql;

/// <summary>Small ADO.NET helpers and reference computations for the SQL tests.</summary>
public static class SqlHelpers
{
    public static int Execute(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command.ExecuteNonQuery();
    }

    public static object? Scalar(this SqliteConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command.ExecuteScalar();
    }

    /// <summary>The first column of every row as a rowid; <paramref name="query"/>, when given, is bound as <c>$q</c>.</summary>
    public static List<long> RowIds(this SqliteConnection connection, string sql, float[]? query = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (query is not null)
        {
            command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(query));
        }

        using var reader = command.ExecuteReader();
        var rows = new List<long>();
        while (reader.Read())
        {
            rows.Add(reader.GetInt64(0));
        }

        return rows;
    }

    /// <summary>Every row as its values joined by '|' (NULL for NULL, numbers in the invariant culture): rows to compare as text.</summary>
    public static List<string> TextRows(this SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    public static long Count(this SqliteConnection connection, string table) => (long)connection.Scalar($"SELECT count(*) FROM {table}")!;

    /// <summary>Runs a KNN query and returns (rowid, distance) nearest first.</summary>
    public static List<(long RowId, double Distance)> Knn(this SqliteConnection connection, string table, float[] query, int k, string extra = "")
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT rowid, distance FROM {table} WHERE vector MATCH $q AND k = $k {extra}";
        command.Parameters.AddWithValue("$q", DiskAnnVector.ToBlob(query));
        command.Parameters.AddWithValue("$k", k);
        using var reader = command.ExecuteReader();
        var rows = new List<(long, double)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetDouble(1)));
        }

        return rows;
    }

    public static void InsertAll(this SqliteConnection connection, string table, IReadOnlyList<float[]> vectors, long firstRowId = 1)
    {
        using var transaction = connection.BeginTransaction();
        using var command = connection.CreateCommand();
        command.CommandText = $"INSERT INTO {table}(rowid, vector) VALUES ($id, $v)";
        var id = command.Parameters.Add("$id", SqliteType.Integer);
        var v = command.Parameters.Add("$v", SqliteType.Blob);
        for (var i = 0; i < vectors.Count; i++)
        {
            id.Value = firstRowId + i;
            v.Value = DiskAnnVector.ToBlob(vectors[i]);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Vectors around a few cluster centres, reproducible from the seed.</summary>
    public static float[][] Clustered(int count, int dimension, int seed, int clusters = 20)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Gaussian(random, dimension, 1f)).ToArray();
        return Enumerable.Range(0, count).Select(_ =>
        {
            var centre = centres[random.Next(clusters)];
            var noise = Gaussian(random, dimension, 0.3f);
            TensorPrimitives.Add(centre, noise, noise);
            return noise;
        }).ToArray();
    }

    public static float[] Gaussian(Random random, int dimension, float scale)
    {
        var v = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            // Box-Muller
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            v[i] = scale * (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return v;
    }

    public static double ReferenceDistance(string metric, float[] a, float[] b) => metric switch
    {
        "cosine" => 1.0 - (Dot(a, b) / Math.Sqrt(Dot(a, a) * Dot(b, b))),
        "l2" => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum()),
        _ => -Dot(a, b),
    };

    private static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    /// <summary>The exact k nearest of the vectors (rowid = firstRowId + position), by the reference distance.</summary>
    public static List<long> ExactTopK(string metric, IReadOnlyList<float[]> vectors, float[] query, int k, Func<long, bool>? allowed = null, long firstRowId = 1)
        => vectors.Select((v, i) => (RowId: firstRowId + i, Distance: ReferenceDistance(metric, query, v)))
            .Where(x => allowed is null || allowed(x.RowId))
            .OrderBy(x => x.Distance).Take(k).Select(x => x.RowId).ToList();

    public static double Recall(IEnumerable<long> expected, IEnumerable<long> actual)
    {
        var set = expected.ToHashSet();
        return set.Count == 0 ? 1 : actual.Count(set.Contains) / (double)set.Count;
    }
}
