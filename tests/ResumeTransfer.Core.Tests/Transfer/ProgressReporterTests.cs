using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>The one progress model: snapshots on a timer, speed over a 5 s sliding window, one final Completed snapshot.</summary>
public sealed class ProgressReporterTests
{
    private const long MiB = 1024 * 1024;

    private readonly FakeTimeProvider time = new();
    private readonly TransferCounters counters = new();
    private readonly Snapshots observer = new();

    [Fact]
    public void SpeedIsTheBytesOfTheLastFiveSecondsOverTheirTime()
    {
        using var progress = new ProgressReporter(observer, time, counters, 3, "a.bin", 100 * MiB, TransferPhase.Transferring);
        progress.Start();

        // 1 MiB/s for 4 s, then 3 MiB/s for 5 s: after that the window holds only the faster bytes.
        Run(seconds: 4, bytesPerSecond: MiB);
        Assert.Equal(MiB, observer.Last.BytesPerSecond, precision: 6);
        Run(seconds: 5, bytesPerSecond: 3 * MiB);
        Assert.Equal(3 * MiB, observer.Last.BytesPerSecond, precision: 6);

        var last = observer.Last;
        Assert.Equal(3, last.Id);
        Assert.Equal("a.bin", last.Name);
        Assert.Equal(100 * MiB, last.TotalBytes);
        Assert.Equal(19 * MiB, last.CompletedBytes);
        Assert.Equal(TransferPhase.Transferring, last.Phase);
    }

    [Fact]
    public void SpeedFallsToZeroOneWindowAfterTheBytesStop()
    {
        using var progress = new ProgressReporter(observer, time, counters, 1, "a.bin");
        progress.Start();
        Run(seconds: 3, bytesPerSecond: 2 * MiB);

        time.Advance(ProgressReporter.SpeedWindow - ProgressReporter.Interval);
        Assert.True(observer.Last.BytesPerSecond > 0);
        time.Advance(ProgressReporter.Interval * 2);
        Assert.Equal(0, observer.Last.BytesPerSecond);
    }

    [Fact]
    public void AnUploadsBurstsShowAsTheRateTheyAddUpTo()
    {
        // A 2 MiB chunk handed to the network at once, then a second waiting for the server's answer, five times.
        using var progress = new ProgressReporter(observer, time, counters, 1, "up.bin", 10 * MiB, TransferPhase.Transferring);
        progress.Start();
        for (var i = 0; i < 5; i++)
        {
            counters.AddMoved(2 * MiB);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        // Ten MiB in five seconds, whichever tick one looks at (an average of the last ticks would swing with each burst).
        Assert.Equal(2 * MiB, observer.Last.BytesPerSecond, precision: 6);
    }

    [Fact]
    public void CompleteSendsOneFinalSnapshotAndNothingFollows()
    {
        var progress = new ProgressReporter(observer, time, counters, 1, "a.bin", 10, TransferPhase.Transferring);
        progress.Start();
        counters.SetCompleted(10);
        counters.ConnectionOpened();
        progress.Complete();
        var count = observer.All.Count;
        time.Advance(TimeSpan.FromSeconds(10));
        progress.Dispose();
        progress.SetPhase(TransferPhase.Verifying);

        Assert.Equal(count, observer.All.Count);
        Assert.Equal(new TransferProgress(1, "a.bin", 10, 10, 0, 0, TransferPhase.Completed), observer.Last);
    }

    [Fact]
    public void DisposingCompletesTheBarOfAFailedTransfer()
    {
        using (var progress = new ProgressReporter(observer, time, counters, 1, "a.bin"))
        {
            progress.Start();
        }

        Assert.Equal(TransferPhase.Completed, observer.Last.Phase);
    }

    /// <summary>Moves the clock tick by tick, the bytes arriving evenly.</summary>
    private void Run(int seconds, long bytesPerSecond)
    {
        var ticks = (int)(seconds * TimeSpan.TicksPerSecond / ProgressReporter.Interval.Ticks);
        for (var i = 0; i < ticks; i++)
        {
            counters.AddMoved(bytesPerSecond / 4);
            counters.AddCompleted(bytesPerSecond / 4);
            time.Advance(ProgressReporter.Interval);
        }
    }

    private sealed class Snapshots : ITransferObserver
    {
        private readonly ConcurrentQueue<TransferProgress> all = new();

        public IReadOnlyList<TransferProgress> All => all.ToArray();

        public TransferProgress Last => All[^1];

        public void OnProgress(TransferProgress progress) => all.Enqueue(progress);

        public void OnMessage(TransferMessageLevel level, string message)
        {
        }
    }
}
