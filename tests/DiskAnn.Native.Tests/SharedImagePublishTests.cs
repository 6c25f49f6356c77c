using DiskAnn;
using DiskAnn.Graph;
using DiskAnn.VirtualTable;

namespace DiskAnn.Native.Tests;

/// <summary>
/// The process's image of a table only moves forward: an image a reader built for an older snapshot (a WAL reader
/// whose statement began before a commit) is not offered to the others in place of the newer one, which every new
/// statement wants (with it, 16 pooled readers and a writer committing 50 times a second went back and forth between
/// generations, reloading from the file: `pool` benchmark, 1,403 queries a second instead of 23,859).
/// </summary>
public sealed class SharedImagePublishTests
{
    private static VamanaIndex NewImage()
    {
        var options = new GraphOptions(4, DiskAnnMetric.L2, 4, 8, 1.2f, 8);
        return new VamanaIndex(options, new NodeStore(options, 4));
    }

    [Fact]
    public void An_older_generation_does_not_replace_the_newer_image()
    {
        var shared = new SharedImage();
        shared.AddUser();
        var newer = NewImage();
        var older = NewImage();
        var newest = NewImage();

        Assert.True(shared.Publish(newer, 10));
        Assert.False(shared.Publish(older, 9));
        Assert.True(shared.TryGet(10, out var held));
        Assert.Same(newer, held);
        Assert.False(shared.TryGet(9, out _));

        Assert.True(shared.Publish(newest, 11));
        Assert.True(shared.TryGet(11, out held));
        Assert.Same(newest, held);
    }
}
