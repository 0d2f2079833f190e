using System;
using System.Collections.Generic;
using System.Threading;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Sends progress snapshots to the observer about 4 times a second from a timer (so a stall shows as falling speed),
/// with the speed averaged over the last few seconds, and one final <see cref="TransferPhase.Completed"/> snapshot.
/// </summary>
internal sealed class ProgressReporter : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private static readonly TimeSpan SpeedWindow = TimeSpan.FromSeconds(5);

    private readonly ITransferObserver observer;
    private readonly TimeProvider timeProvider;
    private readonly TransferCounters counters;
    private readonly int id;
    private readonly object gate = new();
    private readonly Queue<(long Timestamp, long Bytes)> samples = new();
    private ITimer? timer;
    private string name;
    private long? totalBytes;
    private TransferPhase phase = TransferPhase.Probing;
    private bool finished;

    public ProgressReporter(ITransferObserver observer, TimeProvider timeProvider, TransferCounters counters, int id, string name)
    {
        this.observer = observer;
        this.timeProvider = timeProvider;
        this.counters = counters;
        this.id = id;
        this.name = name;
    }

    public void Start()
    {
        Report();
        timer = timeProvider.CreateTimer(_ => Report(), null, Interval, Interval);
    }

    /// <summary>Changes what the snapshots say and reports at once.</summary>
    public void Update(string displayName, long? total, TransferPhase newPhase)
    {
        lock (gate)
        {
            name = displayName;
            totalBytes = total;
            phase = newPhase;
        }

        Report();
    }

    public void SetPhase(TransferPhase newPhase)
    {
        lock (gate)
        {
            phase = newPhase;
        }

        Report();
    }

    /// <summary>Stops the timer and sends the final snapshot; nothing is reported after this.</summary>
    public void Complete()
    {
        timer?.Dispose();
        lock (gate)
        {
            if (finished)
            {
                return;
            }

            finished = true;
            observer.OnProgress(new TransferProgress(id, name, totalBytes, counters.CompletedBytes, 0, 0, TransferPhase.Completed));
        }
    }

    public void Dispose() => Complete();

    private void Report()
    {
        lock (gate)
        {
            if (finished)
            {
                return;
            }

            var now = timeProvider.GetTimestamp();
            var downloaded = counters.DownloadedBytes;
            samples.Enqueue((now, downloaded));
            while (samples.Count > 2 && timeProvider.GetElapsedTime(samples.Peek().Timestamp, now) > SpeedWindow)
            {
                samples.Dequeue();
            }

            var oldest = samples.Peek();
            var seconds = timeProvider.GetElapsedTime(oldest.Timestamp, now).TotalSeconds;
            var speed = seconds > 0 ? (downloaded - oldest.Bytes) / seconds : 0;
            observer.OnProgress(new TransferProgress(id, name, totalBytes, counters.CompletedBytes, speed, counters.ActiveConnections, phase));
        }
    }
}
