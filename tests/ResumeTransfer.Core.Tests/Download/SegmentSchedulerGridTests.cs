using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>The scheduler under a source's grid: ranges on the part boundaries of an object store, never below its minimum.</summary>
public sealed class SegmentSchedulerGridTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    // length, part size, workers: expected starts (MiB)
    [InlineData((30 * MiB) + 3, 5 * MiB, 4, "0,5,15,20")]
    [InlineData((30 * MiB) + 3, 5 * MiB, 1, "0")]
    [InlineData(8 * MiB, 5 * MiB, 4, "0,5")]
    [InlineData(3 * MiB, 5 * MiB, 4, "0")]
    [InlineData(256 * MiB, 8 * MiB, 4, "0,64,128,192")]
    [InlineData(33 * MiB, 8 * MiB, 4, "0,8,16,24")]
    public void AFreshFileIsSplitOnPartBoundaries(long length, long part, int workers, string starts)
    {
        var scheduler = new SegmentScheduler(new[] { new DownloadStateSegment { Start = 0, End = length, Next = 0 } }, SegmentGrid.Parts(part, MiB));

        scheduler.Rebalance(workers);

        var segments = scheduler.Snapshot();
        Assert.Equal(starts, string.Join(",", segments.Select(s => s.Start / MiB)));
        Assert.All(segments, s => Assert.Equal(0, s.Start % part));
        Assert.All(segments.Take(segments.Count - 1), s => Assert.True(s.End - s.Start >= part));
        Assert.Equal(length, segments[^1].End);
    }

    [Fact]
    public void ResumedSegmentsAreSplitOnPartBoundariesToo()
    {
        // 3 MiB of the first part on disk: the rest is cut at multiples of the part size, not of the bytes left.
        var scheduler = new SegmentScheduler(new[] { new DownloadStateSegment { Start = 0, End = 40 * MiB, Next = 3 * MiB } }, SegmentGrid.Parts(5 * MiB, MiB));

        scheduler.Rebalance(4);

        var segments = scheduler.Snapshot();
        Assert.Equal(3 * MiB, segments[0].Next);
        Assert.All(segments.Skip(1), s => Assert.Equal(0, s.Start % (5 * MiB)));
        Assert.Equal(4, segments.Count);
    }

    [Fact]
    public void AStolenTailStartsOnAPartBoundary()
    {
        var scheduler = new SegmentScheduler(new[] { new DownloadStateSegment { Start = 0, End = 30 * MiB, Next = 0 } }, SegmentGrid.Parts(5 * MiB, MiB));
        var first = scheduler.TryTake()!;
        var claimed = scheduler.Reserve(first, (int)MiB);
        scheduler.Commit(first, claimed);

        var stolen = scheduler.TryTake();

        Assert.NotNull(stolen);
        Assert.Equal(15 * MiB, stolen!.Start); // 1 + 29/2 = 15.5 MiB, down to the part boundary
        Assert.Equal(30 * MiB, stolen.End);
        Assert.Equal(15 * MiB, scheduler.Position(first).End);
    }

    [Fact]
    public void NoRangeIsStolenThatWouldLeaveLessThanTwoParts()
    {
        var scheduler = new SegmentScheduler(new[] { new DownloadStateSegment { Start = 0, End = 10 * MiB, Next = 0 } }, SegmentGrid.Parts(5 * MiB, MiB));
        Assert.NotNull(scheduler.TryTake());

        Assert.Null(scheduler.TryTake());
    }

    [Theory]
    [InlineData(5 * MiB, MiB, 5 * MiB, 5 * MiB)]
    [InlineData(100 * 1024, MiB, 11 * 100 * 1024, 100 * 1024)] // OSS allows 100 KB parts: ranges of 11 of them
    [InlineData(8 * MiB, 8 * MiB, 8 * MiB, 8 * MiB)]
    public void PartGridsAreWholePartsOfAtLeastTheMinimum(long part, long minimum, long expectedMinimum, long expectedAlignment)
    {
        var grid = SegmentGrid.Parts(part, minimum);
        Assert.Equal(expectedMinimum, grid.MinimumBytes);
        Assert.Equal(expectedAlignment, grid.Alignment);
    }
}
