using ResumeTransfer.Core.Download;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class SegmentSchedulerTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData(10 * MiB, 4, 4)]
    [InlineData(3 * MiB, 4, 3)]
    [InlineData(MiB / 2, 4, 1)]
    [InlineData(10 * MiB, 1, 1)]
    public void FreshFileIsSplitIntoAtMostOneSegmentPerMiB(long length, int workers, int expected)
    {
        var scheduler = Fresh(length);

        scheduler.Rebalance(workers);

        var segments = scheduler.Snapshot();
        Assert.Equal(expected, segments.Count);
        long start = 0;
        foreach (var segment in segments)
        {
            Assert.Equal(start, segment.Start);
            Assert.Equal(segment.Start, segment.Next);
            Assert.True(segment.End - segment.Start >= SegmentScheduler.MinSegmentBytes / 2);
            start = segment.End!.Value;
        }

        Assert.Equal(length, start);
    }

    [Theory]
    [InlineData(new long[] { 0, 100, 40 }, 100, 40)] // one segment, partly done
    [InlineData(new long[] { 0, 50, 50, 50, 100, 60 }, 100, 60)] // first complete: the gap is in the second
    [InlineData(new long[] { 0, 50, 20, 50, 100, 100 }, 100, 20)] // bytes after the first gap are fetched again
    [InlineData(new long[] { 0, 100, 100 }, 100, 100)] // all on disk
    [InlineData(new long[] { 0, 25, 0, 25, 50, 25, 50, 100, 50 }, 100, 0)] // nothing yet
    public void OneConnectionFromByteZeroContinuesAtTheFirstGap(long[] triples, long length, long next)
    {
        var saved = Enumerable.Range(0, triples.Length / 3)
            .Select(i => new DownloadStateSegment { Start = triples[3 * i], End = triples[(3 * i) + 1], Next = triples[(3 * i) + 2] });

        var segment = Assert.Single(SegmentScheduler.FromFirstGap(saved, length));

        Assert.Equal(0, segment.Start);
        Assert.Equal(length, segment.End);
        Assert.Equal(next, segment.Next);
    }

    [Theory]
    // Saved segments as start-end-next; the highest written segment gives back 64 KiB (down to a 4 KiB boundary, not
    // below its start), and the written data then ends at the highest next of a segment holding bytes.
    [InlineData("0-1048576-300000", "0-1048576-233472", 233472)]
    [InlineData("0-1048576-1048576,1048576-2097152-1048576", "0-1048576-983040,1048576-2097152-1048576", 983040)]
    [InlineData("0-1048576-500000,1048576-2097152-1100000", "0-1048576-500000,1048576-2097152-1048576", 500000)]
    [InlineData("0-1048576-0", "0-1048576-0", 0)]
    [InlineData("0--300000", "0--233472", 233472)]
    public void GivingBackTheTailRewindsOnlyTheHighestWrittenSegment(string saved, string expected, long end)
    {
        var scheduler = new SegmentScheduler(Parse(saved));

        Assert.Equal(end, scheduler.GiveBackTail(64 * 1024));

        Assert.Equal(expected, string.Join(",", scheduler.Snapshot().Select(s => $"{s.Start}-{s.End}-{s.Next}")));
    }

    private static List<DownloadStateSegment> Parse(string segments) =>
        segments.Split(',').Select(s => s.Split('-')).Select(p => new DownloadStateSegment
        {
            Start = long.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture),
            End = p[1].Length == 0 ? null : long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture),
            Next = long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();

    [Fact]
    public void IdleWorkerStealsTheTailHalfOfTheLargestRemainingSegment()
    {
        var scheduler = Fresh(16 * MiB);
        scheduler.Rebalance(2);
        var first = scheduler.TryTake()!;
        var second = scheduler.TryTake()!;
        Write(scheduler, second, 8 * MiB); // second is done; first has written nothing

        var stolen = scheduler.TryTake();

        Assert.NotNull(stolen);
        Assert.Equal(4 * MiB, stolen.Start);
        Assert.Equal(8 * MiB, stolen.End);
        Assert.Equal(4 * MiB, first.End);
        Assert.Equal(0, first.Next);
    }

    [Fact]
    public void NothingIsStolenFromSegmentsWithTwoMiBOrLessLeft()
    {
        var scheduler = Fresh(4 * MiB);
        scheduler.Rebalance(1);
        var only = scheduler.TryTake()!;
        Write(scheduler, only, 2 * MiB);

        Assert.Null(scheduler.TryTake());
    }

    [Fact]
    public void StealNeverSplitsInsideTheOwnersReservedWrite()
    {
        var scheduler = Fresh(4 * MiB + 8192);
        scheduler.Rebalance(1);
        var owner = scheduler.TryTake()!;
        var allowed = scheduler.Reserve(owner, 128 * 1024);

        var stolen = scheduler.TryTake()!;

        Assert.Equal(128 * 1024, allowed);
        Assert.True(stolen.Start >= 128 * 1024);
        scheduler.Commit(owner, allowed);
        Assert.True(owner.Next <= owner.End);
    }

    [Fact]
    public void ReserveIsCutAtTheEndAfterATheft()
    {
        var scheduler = Fresh(8 * MiB);
        scheduler.Rebalance(1);
        var owner = scheduler.TryTake()!;
        var stolen = scheduler.TryTake()!;
        Write(scheduler, owner, (int)(stolen.Start - 100));

        Assert.Equal(100, scheduler.Reserve(owner, 1000));
        scheduler.Commit(owner, 100);
        Assert.True(owner.IsComplete);
    }

    [Fact]
    public void RestoredSegmentsAreResplitAcrossMoreWorkers()
    {
        var scheduler = new SegmentScheduler(new[]
        {
            new DownloadStateSegment { Start = 0, End = 8 * MiB, Next = 8 * MiB },
            new DownloadStateSegment { Start = 8 * MiB, End = 16 * MiB, Next = 10 * MiB },
        });

        scheduler.Rebalance(3);

        // The 6 MiB left are cut into three 2 MiB pieces; the complete range merges into the first.
        Assert.Equal(
            new (long, long?, long)[] { (0, 12 * MiB, 10 * MiB), (12 * MiB, 14 * MiB, 12 * MiB), (14 * MiB, 16 * MiB, 14 * MiB) },
            Layout(scheduler));
        Assert.Equal(10 * MiB, scheduler.CompletedBytes);
    }

    [Fact]
    public void SnapshotMergesCompleteSegmentsIntoTheirSuccessor()
    {
        var scheduler = Fresh(16 * MiB);
        scheduler.Rebalance(4);
        var segments = new[] { scheduler.TryTake()!, scheduler.TryTake()!, scheduler.TryTake()!, scheduler.TryTake()! };
        Write(scheduler, segments[0], 4 * MiB);
        Write(scheduler, segments[1], 1 * MiB);
        Write(scheduler, segments[3], 4 * MiB);

        Assert.Equal(
            new (long, long?, long)[] { (0, 8 * MiB, 5 * MiB), (8 * MiB, 12 * MiB, 8 * MiB), (12 * MiB, 16 * MiB, 16 * MiB) },
            Layout(scheduler));
    }

    [Fact]
    public void OpenSegmentCompletesAtTheEndOfTheBody()
    {
        var scheduler = new SegmentScheduler(new[] { new DownloadStateSegment { Start = 0, End = null, Next = 0 } });
        scheduler.Rebalance(4);
        var only = scheduler.TryTake()!;
        Write(scheduler, only, 5000);
        Assert.False(scheduler.IsComplete);

        scheduler.CompleteOpenSegment(only);

        Assert.True(scheduler.IsComplete);
        Assert.Equal(5000, only.End);
    }

    [Fact]
    public void OnlyTheSingleSegmentFromZeroCanBeRewound()
    {
        var single = Fresh(3 * MiB);
        var segment = single.TryTake()!;
        Write(single, segment, 1000);
        Assert.Equal(1000, single.TryRewindToZero(segment));
        Assert.Equal(0, segment.Next);

        var split = Fresh(8 * MiB);
        split.Rebalance(2);
        Assert.Equal(-1, split.TryRewindToZero(split.TryTake()!));
    }

    private static SegmentScheduler Fresh(long length) =>
        new(new[] { new DownloadStateSegment { Start = 0, End = length, Next = 0 } });

    private static (long Start, long? End, long Next)[] Layout(SegmentScheduler scheduler) =>
        scheduler.Snapshot().Select(s => (s.Start, s.End, s.Next)).ToArray();

    private static void Write(SegmentScheduler scheduler, Segment segment, long count)
    {
        while (count > 0)
        {
            var allowed = scheduler.Reserve(segment, (int)Math.Min(count, 64 * 1024));
            if (allowed == 0)
            {
                return;
            }

            scheduler.Commit(segment, allowed);
            count -= allowed;
        }
    }
}
