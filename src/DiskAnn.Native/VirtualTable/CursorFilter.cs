using DiskAnn.Sqlite;

namespace DiskAnn.VirtualTable;

/// <summary>xFilter: runs the plan xBestIndex chose with the argument values SQLite bound, filling the cursor.</summary>
internal static unsafe class CursorFilter
{
    public static void Run(DiskAnnCursor cursor, QueryPlan plan, ReadOnlySpan<nint> argv)
    {
        cursor.Reset();
        var table = cursor.Table;
        var next = 0;
        float[]? query = null;
        long k = 0, listSize = 0, limit = -1, offset = 0;
        long? rowid = null;
        List<long>? allowed = null;
        if (plan.HasFlag(QueryPlan.Match))
        {
            query = SqliteValues.ReadVector(argv[next++], table.Options.Dimension, "the query vector (MATCH)");
        }

        if (plan.HasFlag(QueryPlan.K))
        {
            k = SqliteValues.ReadInteger(argv[next++], "k", 1, TableOptions.MaxListSize);
        }

        if (plan.HasFlag(QueryPlan.SearchListSize))
        {
            listSize = SqliteValues.ReadInteger(argv[next++], "search_list_size", 1, TableOptions.MaxListSize);
        }

        if (plan.HasFlag(QueryPlan.Limit))
        {
            limit = SqliteValues.ReadInteger(argv[next++], "LIMIT", 0, long.MaxValue);
        }

        if (plan.HasFlag(QueryPlan.Offset))
        {
            offset = SqliteValues.ReadInteger(argv[next++], "OFFSET", 0, long.MaxValue);
        }

        if (plan.HasFlag(QueryPlan.RowIdEquals))
        {
            var value = argv[next++];
            if (SqliteApi.value_numeric_type(value) == SqliteConstants.INTEGER)
            {
                rowid = SqliteApi.value_int64(value);
            }
            else
            {
                return; // rowid = 'text' or NULL matches nothing
            }
        }

        if (plan.HasFlag(QueryPlan.RowIdIn))
        {
            allowed = ReadInList(argv[next++]);
        }

        if (rowid is { } r && allowed is not null)
        {
            allowed = allowed.Contains(r) ? [r] : [];
        }
        else if (rowid is { } only && query is not null)
        {
            allowed = [only];
        }

        if (query is not null)
        {
            if (k == 0)
            {
                if (limit < 0)
                {
                    throw new SqliteCallException(SqliteConstants.ERROR, "diskann: a vector MATCH query needs k: add 'AND k = 10' or 'LIMIT 10'");
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

            var list = listSize > 0 ? (int)listSize : table.Options.SearchListSize;
            var rowids = new long[k];
            var distances = new float[k];
            cursor.Count = table.Search(query, (int)k, list, allowed, rowids, distances);
            cursor.RowIds = rowids;
            cursor.Distances = distances;
            cursor.K = k;
            cursor.ListSize = Math.Max(list, k);
            cursor.Index = table.Index;
            return;
        }

        var index = table.Index;
        cursor.Index = index;
        if (rowid is { } single)
        {
            if (index.TryGetSlot(single, out _))
            {
                cursor.RowIds = [single];
                cursor.Count = 1;
            }

            return;
        }

        var all = allowed is not null ? allowed.Where(id => index.TryGetSlot(id, out _)).Distinct().ToArray() : index.RowIds.ToArray();
        Array.Sort(all);
        cursor.RowIds = all;
        cursor.Count = all.Length;
    }

    /// <summary>The values of a rowid IN (...) list; duplicates are left for the consumer to skip.</summary>
    private static unsafe List<long> ReadInList(nint list)
    {
        var set = new List<long>();
        nint value;
        var rc = SqliteApi.vtab_in_first(list, &value);
        while (rc == SqliteConstants.OK && value != 0)
        {
            if (SqliteApi.value_numeric_type(value) == SqliteConstants.INTEGER)
            {
                set.Add(SqliteApi.value_int64(value));
            }

            rc = SqliteApi.vtab_in_next(list, &value);
        }

        if (rc != SqliteConstants.OK && rc != SqliteConstants.DONE)
        {
            throw new SqliteCallException(rc, "diskann: could not read the rowid IN (...) list");
        }

        return set;
    }
}
