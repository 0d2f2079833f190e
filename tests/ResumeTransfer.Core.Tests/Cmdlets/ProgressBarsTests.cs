using System.Management.Automation;
using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.Cmdlets;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

public sealed class ProgressBarsTests
{
    private readonly FakeTimeProvider time = new();
    private readonly List<ProgressRecord> written = new();
    private readonly ProgressBars bars;

    public ProgressBarsTests()
    {
        bars = new ProgressBars(written.Add, time);
    }

    [Fact]
    public void SnapshotsWithinTheIntervalAreCoalescedAndTheLatestIsWrittenWhenDue()
    {
        bars.Start(0, "a.bin");
        time.Advance(TimeSpan.FromMilliseconds(300));
        bars.Update(Snapshot(0, done: 10));
        for (var done = 20; done <= 100; done += 10)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            bars.Update(Snapshot(0, done));
        }

        Assert.Equal(2, written.Count);
        Assert.True(bars.UntilNextFlush() > TimeSpan.Zero);

        time.Advance(ProgressBars.MinimumInterval);
        bars.FlushDue();

        Assert.Equal(3, written.Count);
        Assert.Equal(100, written[^1].PercentComplete);
        Assert.Contains("of", written[^1].StatusDescription, StringComparison.Ordinal);
        bars.FlushDue();
        Assert.Equal(3, written.Count);
    }

    [Fact]
    public void ActivityIdIsTransferIdPlusOneAndStatusHasSizesSpeedAndTimeLeft()
    {
        bars.Start(4, "big.iso");
        time.Advance(TimeSpan.FromSeconds(1));
        bars.Update(new TransferProgress(4, "big.iso", 100 * 1024 * 1024, 25 * 1024 * 1024, 5 * 1024 * 1024, 4, TransferPhase.Transferring));

        var record = written[^1];
        Assert.Equal(5, record.ActivityId);
        Assert.Equal(-1, record.ParentActivityId);
        Assert.Equal("Downloading big.iso", record.Activity);
        Assert.Equal(25, record.PercentComplete);
        Assert.Equal(15, record.SecondsRemaining);
        Assert.Contains("25.0 MiB of 100.0 MiB at 5.0 MiB/s", record.StatusDescription, StringComparison.Ordinal);
    }

    [Fact]
    public void ASecondTransferAddsAParentAndCompleteAllEndsEveryBarLast()
    {
        bars.Start(0, "a");
        bars.Start(1, "b");
        time.Advance(TimeSpan.FromSeconds(1));
        bars.FlushDue();
        bars.Complete(0);
        bars.CompleteAll();
        bars.CompleteAll();

        var byActivity = written.GroupBy(r => r.ActivityId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(new[] { 0, 1, 2 }, byActivity.Keys.Order());
        Assert.All(byActivity.Values, records =>
        {
            Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
            Assert.Single(records, r => r.RecordType == ProgressRecordType.Completed);
        });
        Assert.Equal(0, byActivity[1].Where(r => r.RecordType == ProgressRecordType.Processing).Last().ParentActivityId);
        Assert.Equal("Downloading 2 files", byActivity[0][0].Activity);
    }

    [Fact]
    public void UnknownLengthHasNoPercent()
    {
        bars.Start(0, "stream");
        time.Advance(TimeSpan.FromSeconds(1));
        bars.Update(new TransferProgress(0, "stream", null, 2048, 1024, 1, TransferPhase.Transferring));

        Assert.Equal(-1, written[^1].PercentComplete);
        Assert.Equal(-1, written[^1].SecondsRemaining);
    }

    private static TransferProgress Snapshot(int id, long done) =>
        new(id, "a.bin", 100, done, 50, 1, TransferPhase.Transferring);
}
