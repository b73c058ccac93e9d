using FleetQuant.Grains.Devices;

namespace FleetQuant.Grains.Tests;

public sealed class ServedRangesTests
{
    [Fact]
    public void Add_RepeatedRange_CountsOnce()
    {
        var ranges = ServedRanges.Add(ServedRanges.Add([], 0, 1024), 0, 1024);

        Assert.Equal([0L, 1024L], ranges);
        Assert.Equal(1024, ServedRanges.Covered(ranges));
    }

    [Fact]
    public void Add_ChunksOutOfOrder_MergeIntoOneRange()
    {
        long[] ranges = [];
        foreach (var chunk in new[] { 2, 0, 3, 1 })
        {
            ranges = ServedRanges.Add(ranges, chunk * 100L, chunk * 100L + 100);
        }

        Assert.Equal([0L, 400L], ranges);
    }

    [Fact]
    public void Add_OverlappingAndDisjointRanges_KeepsThemSortedAndMerged()
    {
        var ranges = ServedRanges.Add(ServedRanges.Add(ServedRanges.Add([], 500, 600), 0, 100), 50, 550);

        Assert.Equal([0L, 600L], ranges);
        Assert.Equal([0L, 600L, 700L, 800L], ServedRanges.Add(ranges, 700, 800));
    }

    [Fact]
    public void Add_BeyondTheRangeLimit_IgnoresTheNewRange()
    {
        long[] ranges = [];
        for (var i = 0; i < ServedRanges.MaxRanges; i++)
        {
            ranges = ServedRanges.Add(ranges, i * 10L, i * 10L + 1);
        }

        var more = ServedRanges.Add(ranges, 1_000_000, 1_000_001);

        Assert.Same(ranges, more);
        Assert.Equal(ServedRanges.MaxRanges, ServedRanges.Covered(more));
    }
}
