using System;
using System.Threading;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Turns the engine's byte counters into <see cref="TransferProgress"/> snapshots about 4 times a second, on a timer, so
/// the send path only does an interlocked add.
/// </summary>
internal sealed class UploadProgressReporter : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly ITransferObserver observer;
    private readonly TimeProvider time;
    private readonly int id;
    private readonly string name;
    private readonly long total;
    private readonly ITimer timer;
    private long acknowledged;
    private long transmitted;
    private int active;
    private long lastTransmitted;
    private long lastTimestamp;
    private double speed;
    private readonly object tickGate = new();
    private int finished;

    public UploadProgressReporter(ITransferObserver observer, TimeProvider time, int id, string name, long total, long alreadyAcknowledged)
    {
        this.observer = observer;
        this.time = time;
        this.id = id;
        this.name = name;
        this.total = total;
        acknowledged = alreadyAcknowledged;
        lastTimestamp = time.GetTimestamp();
        timer = time.CreateTimer(_ => Tick(), null, Interval, Interval);
    }

    /// <summary>Payload bytes handed to the network (for speed).</summary>
    public void AddTransmitted(long bytes) => Interlocked.Add(ref transmitted, bytes);

    /// <summary>The server acknowledged this many more bytes.</summary>
    public void AddAcknowledged(long bytes) => Interlocked.Add(ref acknowledged, bytes);

    public void SetAcknowledged(long bytes) => Interlocked.Exchange(ref acknowledged, bytes);

    public void ConnectionStarted() => Interlocked.Increment(ref active);

    public void ConnectionEnded() => Interlocked.Decrement(ref active);

    /// <summary>Stops the timer and reports the final snapshot, so no periodic one can follow it.</summary>
    public void Finish()
    {
        Volatile.Write(ref finished, 1);
        timer.Dispose();
        lock (tickGate)
        {
            Report(TransferPhase.Completed);
        }
    }

    public void Report(TransferPhase phase)
    {
        observer.OnProgress(new TransferProgress(id, name, total, Interlocked.Read(ref acknowledged), speed, Volatile.Read(ref active), phase));
    }

    public void Dispose() => timer.Dispose();

    private void Tick()
    {
        lock (tickGate)
        {
            if (Volatile.Read(ref finished) == 0)
            {
                TickLocked();
            }
        }
    }

    private void TickLocked()
    {
        var now = time.GetTimestamp();
        var sent = Interlocked.Read(ref transmitted);
        var seconds = time.GetElapsedTime(lastTimestamp, now).TotalSeconds;
        if (seconds > 0)
        {
            var current = (sent - lastTransmitted) / seconds;
            speed = speed == 0 ? current : (0.7 * speed) + (0.3 * current);
        }

        lastTransmitted = sent;
        lastTimestamp = now;
        Report(TransferPhase.Transferring);
    }
}
