using DiskAnn.Graph;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The rowid map (Graph/RowidMap.cs) against a Dictionary, through random adds, removes, moves and re-adds (tombstones,
/// growth, rehashing in place), with forks along the way: a fork's writes never show in the version it was forked
/// from, and the other way round.
/// </summary>
public sealed class RowidMapTests
{
    private static void AssertSame(Dictionary<long, int> model, RowidMap map)
    {
        Assert.Equal(model.Count, map.Count);
        Assert.Equal(model.Keys.Order(), map.Keys.Order());
        foreach (var (rowid, slot) in model)
        {
            Assert.True(map.TryGetValue(rowid, out var found), $"rowid {rowid} is missing");
            Assert.Equal(slot, found);
        }
    }

    [Fact]
    public void Random_writes_and_forks_keep_each_version_equal_to_its_model()
    {
        var random = new Random(9);
        var versions = new List<(Dictionary<long, int> Model, RowidMap Map)> { ([], new RowidMap()) };
        for (var step = 0; step < 60_000; step++)
        {
            var (model, map) = versions[^1];
            // Rowids from a range narrow enough that removed ones come back, and big or negative ones now and then.
            var rowid = random.Next(10) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : random.Next(20_000);
            switch (random.Next(10))
            {
                case < 5:
                    var slot = random.Next(1_000_000);
                    Assert.Equal(model.TryAdd(rowid, slot), map.TryAdd(rowid, slot));
                    break;
                case < 8:
                    var wasThere = model.Remove(rowid, out var removed);
                    Assert.Equal(wasThere, map.Remove(rowid, out var gone));
                    Assert.Equal(wasThere ? removed : -1, gone);
                    break;
                case 8:
                    if (model.ContainsKey(rowid))
                    {
                        var moved = random.Next(1_000_000);
                        model[rowid] = moved;
                        map.Set(rowid, moved);
                    }

                    break;
                default:
                    var present = model.TryGetValue(rowid, out var expected);
                    Assert.Equal(present, map.TryGetValue(rowid, out var actual));
                    Assert.Equal(present ? expected : -1, actual);
                    break;
            }

            if (step % 5_000 == 4_999)
            {
                AssertSame(model, map);
                versions.Add((new Dictionary<long, int>(model), map.Fork()));
            }
        }

        // Every earlier version still answers as it did when it was forked.
        foreach (var (model, map) in versions)
        {
            AssertSame(model, map);
        }
    }

    [Fact]
    public void A_write_to_a_fork_leaves_the_origin_and_a_clear_empties_only_the_fork()
    {
        var origin = new RowidMap();
        for (var rowid = 1L; rowid <= 10_000; rowid++)
        {
            origin.Add(rowid, (int)rowid * 2);
        }

        var fork = origin.Fork();
        fork.Remove(5, out _);
        fork.Set(6, 1);
        fork.Add(20_000, 3);
        Assert.True(origin.TryGetValue(5, out var five) && five == 10);
        Assert.True(origin.TryGetValue(6, out var six) && six == 12);
        Assert.False(origin.TryGetValue(20_000, out _));
        Assert.Equal(10_000, origin.Count);
        Assert.Throws<InvalidOperationException>(() => fork.Add(7, 0));

        fork.Clear();
        Assert.Equal(0, fork.Count);
        Assert.Equal(10_000, origin.Keys.Count());
    }
}
