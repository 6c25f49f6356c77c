using DiskAnn.Sqlite;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// xBestIndex: a KNN plan when <c>vector MATCH ?</c> is usable (with k, search_list_size, LIMIT/OFFSET and a
/// rowid filter as extra arguments), a point lookup for <c>rowid = ?</c> or <c>rowid IN (...)</c>, and a
/// full scan otherwise, priced so that SQLite never prefers a scan over a usable MATCH.
/// </summary>
internal static unsafe class QueryPlanner
{
    public static void Plan(SqliteIndexInfo* info)
    {
        int match = -1, k = -1, listSize = -1, limit = -1, offset = -1, rowidEquals = -1, rowidIn = -1;
        var unusableMatch = false;
        for (var i = 0; i < info->nConstraint; i++)
        {
            var c = info->aConstraint[i];
            if (c.usable == 0)
            {
                unusableMatch |= c.op == INDEX_CONSTRAINT_MATCH && c.iColumn == Columns.Vector;
                continue;
            }

            switch (c.op)
            {
                case INDEX_CONSTRAINT_MATCH when c.iColumn == Columns.Vector && match < 0:
                    match = i;
                    break;
                case INDEX_CONSTRAINT_EQ when c.iColumn == Columns.K && k < 0:
                    k = i;
                    break;
                case INDEX_CONSTRAINT_EQ when c.iColumn == Columns.SearchListSize && listSize < 0:
                    listSize = i;
                    break;
                case INDEX_CONSTRAINT_LIMIT when limit < 0:
                    limit = i;
                    break;
                case INDEX_CONSTRAINT_OFFSET when offset < 0:
                    offset = i;
                    break;
                case INDEX_CONSTRAINT_EQ when c.iColumn == Columns.RowId:
                    // rowid IN (...) arrives as an EQ constraint that sqlite3_vtab_in can hand over whole.
                    if (SqliteApi.vtab_in(info, i, -1) != 0 && rowidIn < 0)
                    {
                        rowidIn = i;
                    }
                    else if (rowidEquals < 0)
                    {
                        rowidEquals = i;
                    }

                    break;
            }
        }

        var plan = QueryPlan.FullScan;
        var argument = 0;
        void Use(int constraint, QueryPlan flag, bool omit)
        {
            if (constraint < 0)
            {
                return;
            }

            plan |= flag;
            info->aConstraintUsage[constraint].argvIndex = ++argument;
            info->aConstraintUsage[constraint].omit = omit ? (byte)1 : (byte)0;
        }

        if (match >= 0)
        {
            Use(match, QueryPlan.Match, omit: true);
            Use(k, QueryPlan.K, omit: true);
            Use(listSize, QueryPlan.SearchListSize, omit: true);
            // SQLite still applies LIMIT/OFFSET itself; the index just returns enough rows.
            Use(limit, QueryPlan.Limit, omit: false);
            Use(limit >= 0 ? offset : -1, QueryPlan.Offset, omit: false);
            Use(rowidEquals, QueryPlan.RowIdEquals, omit: true);
            if (rowidIn >= 0)
            {
                SqliteApi.vtab_in(info, rowidIn, 1);
                Use(rowidIn, QueryPlan.RowIdIn, omit: true);
            }

            info->estimatedCost = 10;
            info->estimatedRows = 10;
            if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == Columns.Distance && info->aOrderBy[0].desc == 0)
            {
                info->orderByConsumed = 1;
            }
        }
        else if (unusableMatch)
        {
            // Not this plan: SQLite must pick one where the query vector is available.
            info->estimatedCost = 1e18;
            info->estimatedRows = long.MaxValue / 4;
        }
        else if (rowidEquals >= 0)
        {
            Use(rowidEquals, QueryPlan.RowIdEquals, omit: true);
            info->estimatedCost = 1;
            info->estimatedRows = 1;
            info->idxFlags |= INDEX_SCAN_UNIQUE;
        }
        else if (rowidIn >= 0)
        {
            SqliteApi.vtab_in(info, rowidIn, 1);
            Use(rowidIn, QueryPlan.RowIdIn, omit: true);
            info->estimatedCost = 100;
            info->estimatedRows = 100;
        }
        else
        {
            info->estimatedCost = 1e7;
            info->estimatedRows = 1_000_000;
        }

        info->idxNum = (int)plan;
    }
}
