using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>xFilter: runs the plan xBestIndex chose with the argument values SQLite bound, filling the cursor.</summary>
internal static unsafe class CursorFilter
{
    /// <summary>SQLite 3.41.0: from there on it passes LIMIT to a virtual table queried with MATCH (3.38 to 3.40 do not).</summary>
    private const int LimitWithMatchVersion = 3_041_000;

    public static void Run(DiskAnnCursor cursor, QueryPlan plan, string? idxStr, ReadOnlySpan<nint> argv)
    {
        var (rowIdOps, filterOps) = FilterConstraints.Split(idxStr);
        cursor.Reset();
        var table = cursor.Table;
        var next = 0;
        float[]? query = null;
        long k = 0, listSize = 0, limit = -1, offset = 0;
        if (plan.HasFlag(QueryPlan.Match))
        {
            query = cursor.QueryBuffer = SqliteValues.ReadVector(argv[next++], table.Options.Dimension, "the query vector (MATCH)", cursor.QueryBuffer);
        }

        if (plan.HasFlag(QueryPlan.K))
        {
            k = SqliteValues.ReadInteger(argv[next++], "k", 1, TableOptions.MaxListSize);
        }

        if (plan.HasFlag(QueryPlan.SearchListSize))
        {
            listSize = SqliteValues.ReadInteger(argv[next++], "search_list_size", 1, TableOptions.MaxListSize);
        }

        // A negative LIMIT is no limit and a negative OFFSET none, as SQLite reads them.
        if (plan.HasFlag(QueryPlan.Limit))
        {
            limit = Math.Max(-1, SqliteValues.ReadInteger(argv[next++], "LIMIT", long.MinValue, long.MaxValue));
        }

        if (plan.HasFlag(QueryPlan.Offset))
        {
            offset = Math.Max(0, SqliteValues.ReadInteger(argv[next++], "OFFSET", long.MinValue, long.MaxValue));
        }

        var filter = plan.HasFlag(QueryPlan.RowIds) ? RowIdFilter.Read(rowIdOps, argv[next..]) : null;
        next += plan.HasFlag(QueryPlan.RowIds) ? rowIdOps.Length : 0;
        var conditions = plan.HasFlag(QueryPlan.Filters) ? FilterConstraints.Read(filterOps, argv[next..], table.Options.FilterColumns, inSearch: query is not null) : null;
        next += plan.HasFlag(QueryPlan.Filters) ? filterOps.Length / 2 : 0;
        DistanceThreshold? threshold = plan.HasFlag(QueryPlan.Threshold) ? DistanceThreshold.Read(argv[next++], plan.HasFlag(QueryPlan.ThresholdInclusive)) : null;
        var index = table.Index;
        if (query is not null)
        {
            if (k == 0)
            {
                if (limit < 0)
                {
                    throw NeedsK(plan);
                }

                k = limit + offset;
                if (k > TableOptions.MaxListSize)
                {
                    throw new SqliteCallException(SqliteConstants.RANGE, $"diskann: LIMIT + OFFSET of a vector MATCH query must be at most {TableOptions.MaxListSize}, got {k}");
                }

                if (k == 0)
                {
                    return;
                }
            }

            var allowed = filter?.Select(index);
            if (allowed is not null && allowed.Count == index.LiveCount)
            {
                allowed = null; // every row passes: an ordinary search
            }

            var list = listSize > 0 ? (int)listSize : table.Options.SearchListSize;
            // The cursor's arrays from its last query when they fit (a prepared statement runs query after query).
            var rowids = cursor.RowIds.Length >= k ? cursor.RowIds : new long[k];
            var distances = cursor.DistanceBuffer is { } previous && previous.Length >= k ? previous : cursor.DistanceBuffer = new float[k];
            if (threshold is { PassesNone: true })
            {
                return; // distance < NULL: no row
            }

            cursor.Count = table.Search(query, (int)k, list, allowed, conditions, rowids, distances);
            if (threshold is { } bound)
            {
                cursor.Count = bound.Apply(rowids, distances, cursor.Count);
            }

            cursor.RowIds = rowids;
            cursor.Distances = distances;
            cursor.K = k;
            cursor.ListSize = Math.Max(list, k);
            cursor.Index = table.Index;
            return;
        }

        cursor.Index = index;
        var all = filter is not null ? filter.Select(index).ToArray() : index.RowIds.ToArray();
        if (conditions is not null)
        {
            var predicate = new Filters.RowPredicate(index.Nodes.Filters!, conditions);
            all = Array.FindAll(all, rowid => index.TryGetSlot(rowid, out var slot) && predicate.Matches(slot));
        }

        Array.Sort(all);
        cursor.RowIds = all;
        cursor.Count = all.Length;
    }

    /// <summary>A MATCH without k: says what to write, and why a LIMIT in the query did not count.</summary>
    private static SqliteCallException NeedsK(QueryPlan plan)
    {
        if (plan.HasFlag(QueryPlan.Threshold))
        {
            return new(SqliteConstants.ERROR, "diskann: a vector MATCH query needs k, also with a distance threshold: the threshold is applied to the k nearest rows; add 'AND k = 100' (or ORDER BY distance LIMIT 100) to cap the rows within the distance at 100");
        }

        if (plan.HasFlag(QueryPlan.LimitNotK))
        {
            return new(SqliteConstants.ERROR, "diskann: a vector MATCH query needs k: LIMIT acts as k only with no ORDER BY or ORDER BY distance (ascending); add 'AND k = 10' for the 10 nearest, which the ORDER BY and LIMIT then apply to");
        }

        var version = SqliteApi.libversion_number();
        if (version < LimitWithMatchVersion)
        {
            return new(SqliteConstants.ERROR, $"diskann: a vector MATCH query needs k: add 'AND k = 10' (SQLite {version / 1_000_000}.{version / 1000 % 1000}.{version % 1000} does not pass LIMIT to a virtual table queried with MATCH; ORDER BY distance LIMIT 10 acts as k from SQLite 3.41.0 on)");
        }

        return new(SqliteConstants.ERROR, "diskann: a vector MATCH query needs k: add 'AND k = 10' (a LIMIT acts as k only when the table is alone in its SELECT and every WHERE condition is one the index evaluates: on vector, k, search_list_size, rowid, distance < or <=, or a filter column with =, !=, <, <=, >, >=, IN, IS or BETWEEN; an OR, NOT IN or an expression over a column is not: write it as rowid IN (SELECT ...))");
    }
}
