using DiskAnn;
using DiskAnn.Filters;
using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// A filtered query's strategy (scan, widened beam, filtered walk) follows from how many rows it expects to pass. When
/// every constrained column has value ranges, the column indexes give each column's count and the estimate is their
/// product (independent columns, as a database's planner assumes); otherwise the rows are sampled.
/// </summary>
public sealed class SelectivityEstimateTests
{
    [Fact]
    public void Range_conditions_on_independent_columns_are_estimated_from_the_column_indexes()
    {
        var options = new GraphOptions(4, DiskAnnMetric.L2, 8, 16, 1.2f, 16)
        {
            FilterColumns = [new FilterColumn("a", FilterType.Integer, PartitionKey: false), new FilterColumn("b", FilterType.Real, PartitionKey: false)],
        };
        var index = new VamanaIndex(options, new NodeStore(options, chunkSlots: 64));
        index.AfterLoad(-1, []);
        var random = new Random(7);
        var rows = new List<(long A, double B)>();
        for (var id = 1L; id <= 5_000; id++)
        {
            var row = (A: (long)random.Next(100), B: random.NextDouble() * 100);
            rows.Add(row);
            index.Add(id, [.. Enumerable.Range(0, 4).Select(_ => (float)random.NextDouble())], [FilterValue.FromInteger(row.A), FilterValue.FromReal(row.B)]);
        }

        index.LinkPending();
        var nodes = index.Nodes;
        Func<int, bool> live = slot => nodes.State(slot) == NodeState.Linked;
        var ranges = new RowPredicate(nodes.Filters!, [(0, new FilterCondition(FilterOp.Less, FilterValue.FromInteger(40))), (1, new FilterCondition(FilterOp.AtLeast, FilterValue.FromReal(50)))]);
        Assert.True(ranges.TryCount(nodes.SlotCount, live, index.LiveCount, out var bound, out var estimate));
        var passing = rows.Count(r => r.A < 40 && r.B >= 50);
        Assert.InRange(estimate, passing * 0.85, passing * 1.15);
        Assert.True(bound >= passing, "the bound is an upper bound");
        Assert.True(bound > estimate * 1.5, "the bound is one column's count, the estimate both columns'");

        // A column whose conditions give no ranges (only !=): no estimate, the caller samples.
        var inequality = new RowPredicate(nodes.Filters!, [(0, new FilterCondition(FilterOp.Less, FilterValue.FromInteger(40))), (1, new FilterCondition(FilterOp.NotEqual, FilterValue.FromReal(50)))]);
        Assert.True(inequality.TryCount(nodes.SlotCount, live, index.LiveCount, out _, out var none));
        Assert.True(double.IsNaN(none));
    }
}
