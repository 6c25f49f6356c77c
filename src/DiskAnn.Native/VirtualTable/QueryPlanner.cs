using System.Text;
using DiskAnn.Sqlite;
using static DiskAnn.Sqlite.SqliteConstants;

namespace DiskAnn.VirtualTable;

/// <summary>
/// xBestIndex: a KNN plan when <c>vector MATCH ?</c> is usable (with k, search_list_size, LIMIT/OFFSET, every
/// rowid and filter column constraint and a <c>distance &lt; ?</c> or <c>&lt;= ?</c> threshold as extra arguments), a lookup when rowid constraints are usable, and a full scan otherwise,
/// priced so that SQLite never prefers a scan over a usable MATCH.
/// </summary>
internal static unsafe class QueryPlanner
{
    public static void Plan(SqliteIndexInfo* info, IReadOnlyList<Filters.FilterColumn> filterColumns)
    {
        int match = -1, k = -1, listSize = -1, limit = -1, offset = -1, threshold = -1;
        var inclusive = false;
        var rowids = new List<(int Constraint, char Op)>();
        var filters = new List<(int Constraint, Filters.FilterOp Op, int Column)>();
        string? refused = null;
        var unusableMatch = false;
        var unusableFilter = false;
        for (var i = 0; i < info->nConstraint; i++)
        {
            var c = info->aConstraint[i];
            var filterColumn = c.iColumn - Columns.FirstFilter;
            var isFilter = filterColumn >= 0 && filterColumn < filterColumns.Count;
            if (c.usable == 0)
            {
                unusableMatch |= c.op == INDEX_CONSTRAINT_MATCH && c.iColumn == Columns.Vector;
                unusableFilter |= isFilter;
                continue;
            }

            if (isFilter)
            {
                // Every constraint on a filter column is evaluated inside the search; one that cannot be would be applied
                // by SQLite after the k nearest were picked (a short answer), so a KNN plan refuses it (below).
                if (FilterConstraints.Op(info, i, c.op, filterColumns[filterColumn]) is { } op)
                {
                    filters.Add((i, op, filterColumn));
                }
                else
                {
                    refused ??= FilterConstraints.Unsupported(info, i, c.op, filterColumns[filterColumn]);
                }

                continue;
            }

            switch (c.op)
            {
                case INDEX_CONSTRAINT_MATCH when c.iColumn == Columns.Vector && match < 0:
                    match = i;
                    break;
                case INDEX_CONSTRAINT_EQ when c.iColumn == Columns.K && k < 0:
                    RefuseInList(info, i, "k");
                    k = i;
                    break;
                case INDEX_CONSTRAINT_EQ when c.iColumn == Columns.SearchListSize && listSize < 0:
                    RefuseInList(info, i, "search_list_size");
                    listSize = i;
                    break;
                case INDEX_CONSTRAINT_LIMIT when limit < 0:
                    limit = i;
                    break;
                case INDEX_CONSTRAINT_OFFSET when offset < 0:
                    offset = i;
                    break;
                case INDEX_CONSTRAINT_LT or INDEX_CONSTRAINT_LE when c.iColumn == Columns.Distance && threshold < 0:
                    // The first upper bound on distance; a second one, and distance > or >= ?, stay with SQLite, which
                    // applies them to the rows the search returns (the same rows: the threshold too is applied to the k nearest).
                    threshold = i;
                    inclusive = c.op == INDEX_CONSTRAINT_LE;
                    break;
                default:
                    // Every rowid comparison is taken, not only the first: one left to SQLite would be applied
                    // after the k nearest were picked (fewer than k rows), and a second IN list left to SQLite
                    // would run the search once per value.
                    if (c.iColumn == Columns.RowId && RowIdFilter.Code(c.op) is { } code)
                    {
                        // rowid IN (...) arrives as an EQ constraint that sqlite3_vtab_in can hand over whole.
                        rowids.Add((i, code == RowIdFilter.EqualTo && SqliteApi.vtab_in(info, i, -1) != 0 ? RowIdFilter.In : code));
                    }

                    break;
            }
        }

        if (match < 0)
        {
            // A scan leaves some TEXT conditions to SQLite alone (see FilterConstraints.LeftToSqliteInScan).
            filters.RemoveAll(f => FilterConstraints.LeftToSqliteInScan(f.Op, filterColumns[f.Column]));
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

        void UseRowIds()
        {
            if (rowids.Count == 0)
            {
                return;
            }

            foreach (var (constraint, op) in rowids)
            {
                if (op == RowIdFilter.In)
                {
                    SqliteApi.vtab_in(info, constraint, 1);
                }

                Use(constraint, QueryPlan.RowIds, omit: true);
            }

        }

        void UseFilters()
        {
            foreach (var (constraint, op, column) in filters)
            {
                if (op == Filters.FilterOp.In)
                {
                    SqliteApi.vtab_in(info, constraint, 1);
                }

                Use(constraint, QueryPlan.Filters, omit: !FilterConstraints.SqliteChecksAgain(filterColumns[column], inSearch: match >= 0));
            }
        }

        void WriteIdxStr()
        {
            if (rowids.Count > 0 || filters.Count > 0)
            {
                var text = new StringBuilder();
                foreach (var (_, op) in rowids)
                {
                    text.Append(op);
                }

                text.Append(FilterConstraints.Encode(filters.ConvertAll(f => (f.Op, f.Column))));
                info->idxStr = Utf8.SqliteCopy(text.ToString());
                info->needToFreeIdxStr = 1;
            }
        }

        if (match >= 0)
        {
            var byDistance = info->nOrderBy == 1 && info->aOrderBy[0].iColumn == Columns.Distance && info->aOrderBy[0].desc == 0;
            Use(match, QueryPlan.Match, omit: true);
            Use(k, QueryPlan.K, omit: true);
            Use(listSize, QueryPlan.SearchListSize, omit: true);
            if (k < 0 && limit >= 0)
            {
                // LIMIT n acts as k only when the n rows SQLite keeps are the n nearest: no ORDER BY, or ORDER BY
                // distance ascending. (ORDER BY distance DESC LIMIT 3 wants the 3 farthest, which no k gives.)
                // SQLite still applies LIMIT/OFFSET itself; the index just returns enough rows.
                if (info->nOrderBy == 0 || byDistance)
                {
                    Use(limit, QueryPlan.Limit, omit: false);
                    Use(offset, QueryPlan.Offset, omit: false);
                }
                else
                {
                    plan |= QueryPlan.LimitNotK;
                }
            }

            if (refused is not null)
            {
                throw new SqliteCallException(ERROR, refused);
            }

            UseRowIds();
            UseFilters();
            Use(threshold, QueryPlan.Threshold, omit: true);
            if (threshold >= 0 && inclusive)
            {
                plan |= QueryPlan.ThresholdInclusive;
            }

            WriteIdxStr();
            info->estimatedCost = 10;
            info->estimatedRows = 10;
            if (!plan.HasFlag(QueryPlan.K) && !plan.HasFlag(QueryPlan.Limit))
            {
                // No k yet (k = other.column in a join, say): a last resort, so that SQLite prefers a plan with k.
                info->estimatedCost = 1e12;
            }

            if (unusableFilter)
            {
                // A filter column compared with a table SQLite has not read yet: SQLite would apply it after the search
                // (fewer than k rows). A last resort, so that SQLite reads the other table first.
                info->estimatedCost = 1e15;
            }
            if (byDistance)
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
        else if (rowids.Count > 0)
        {
            UseRowIds();
            UseFilters();
            WriteIdxStr();
            if (rowids.Exists(r => r.Op is RowIdFilter.EqualTo or RowIdFilter.Is))
            {
                info->estimatedCost = 1;
                info->estimatedRows = 1;
                info->idxFlags |= INDEX_SCAN_UNIQUE;
            }
            else if (rowids.Exists(r => r.Op == RowIdFilter.In))
            {
                info->estimatedCost = 100;
                info->estimatedRows = 100;
            }
            else
            {
                // A range still walks every rowid in memory, but returns fewer rows than a scan.
                info->estimatedCost = 1e6;
                info->estimatedRows = 250_000;
            }
        }
        else if (filters.Count > 0)
        {
            // A scan that returns only the rows the filter columns pass.
            UseFilters();
            WriteIdxStr();
            info->estimatedCost = 5e6;
            info->estimatedRows = 100_000;
        }
        else
        {
            info->estimatedCost = 1e7;
            info->estimatedRows = 1_000_000;
        }

        info->idxNum = (int)plan;
    }

    /// <summary>
    /// k IN (1, 2) would run one search per value and return the rows of both (the nearest twice): a query has
    /// one k. Said at prepare time, with what to write instead.
    /// </summary>
    private static void RefuseInList(SqliteIndexInfo* info, int constraint, string column)
    {
        if (SqliteApi.vtab_in(info, constraint, -1) != 0)
        {
            throw new SqliteCallException(ERROR, $"diskann: {column} IN (...) is not supported: a vector MATCH query takes one {column}; write {column} = N (one query per value)");
        }
    }
}
