namespace FunctionalTests.Sql;

/// <summary>
/// The k nearest rows (rowid, distance), nearest first; <paramref name="exhaustive"/> asks for search_list_size = 10000
/// rather than the table's default.
/// </summary>
public delegate List<(long RowId, double Distance)> KnnSearch(float[] query, int k, bool exhaustive);
