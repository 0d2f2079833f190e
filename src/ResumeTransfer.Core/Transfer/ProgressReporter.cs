using System;
using System.Collections.Generic;
using System.Threading;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// The progress model of both directions: snapshots of the <see cref="TransferCounters"/> to the observer about 4
/// times a second from a timer (so a stall shows as falling speed), and one final <see cref="TransferPhase.Completed"/>
/// snapshot. The send and receive paths only add to the counters.
/// </summary>
/// <remarks>
/// The speed is the bytes moved over the last <see cref="SpeedWindow"/> divided by the time they took: an exact
/// average that does not depend on how regularly the timer ticks, falls to zero one window after the bytes stop, and
/// shows an upload's bursts (a chunk handed to the network, then a wait for the answer) as the rate they add up to.
/// </remarks>
internal sealed class ProgressReporter : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    public static readonly TimeSpan SpeedWindow = TimeSpan.FromSeconds(5);

    private readonly ITransferObserver observer;
    private readonly TimeProvider timeProvider;
    private readonly TransferCounters counters;
    private readonly int id;
    private readonly object gate = new();
    private readonly Queue<(long Timestamp, long Bytes)> samples = new();
    private ITimer? timer;
    private string name;
    private long? totalBytes;
    private TransferPhase phase;
    private bool finished;

    public ProgressReporter(
        ITransferObserver observer, TimeProvider timeProvider, TransferCounters counters, int id, string name, long? totalBytes = null, TransferPhase phase = TransferPhase.Probing)
    {
        this.observer = observer;
        this.timeProvider = timeProvider;
        this.counters = counters;
        this.id = id;
        this.name = name;
        this.totalBytes = totalBytes;
        this.phase = phase;
    }

    /// <summary>Reports at once and then on the timer.</summary>
    public void Start()
    {
        Report();
        timer = timeProvider.CreateTimer(static s => ((ProgressReporter)s!).Report(), this, Interval, Interval);
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

    /// <summary>Stops the timer and sends the final snapshot (no speed, no connections); nothing is reported after this.</summary>
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

    /// <summary>Completes, whatever ended the transfer, so every bar the snapshots drive is ended.</summary>
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
            var moved = counters.MovedBytes;
            samples.Enqueue((now, moved));
            while (samples.Count > 2 && timeProvider.GetElapsedTime(samples.Peek().Timestamp, now) > SpeedWindow)
            {
                samples.Dequeue();
            }

            var oldest = samples.Peek();
            var seconds = timeProvider.GetElapsedTime(oldest.Timestamp, now).TotalSeconds;
            var speed = seconds > 0 ? (moved - oldest.Bytes) / seconds : 0;
            observer.OnProgress(new TransferProgress(id, name, totalBytes, counters.CompletedBytes, speed, counters.ActiveConnections, phase));
        }
    }
}
