using System;
using System.Threading;
using ResumeTransfer.Core.State;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Makes progress durable: flush the part file's data to disk, then replace the state file that counts those bytes.
/// In that order a crash at any instant leaves a state that claims only bytes already on disk. Runs every second or
/// every 8 MiB written, whichever comes first, on the worker whose write crossed the line, and once more at the end.
/// </summary>
internal sealed class CheckpointWriter
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public const long ByteInterval = 8 * 1024 * 1024;

    private readonly DownloadStateStore store;
    private readonly DownloadState state;
    private readonly SegmentScheduler scheduler;
    private readonly PartFileWriter part;
    private readonly TimeProvider timeProvider;
    private readonly object gate = new();
    private long bytesSinceCheckpoint;
    private long lastCheckpoint;

    public CheckpointWriter(DownloadStateStore store, DownloadState state, SegmentScheduler scheduler, PartFileWriter part, TimeProvider timeProvider)
    {
        this.store = store;
        this.state = state;
        this.scheduler = scheduler;
        this.part = part;
        this.timeProvider = timeProvider;
        lastCheckpoint = timeProvider.GetTimestamp();
    }

    /// <summary>Called after each write; checkpoints when due, unless another worker is already doing it.</summary>
    public void OnWritten(int count)
    {
        var pending = Interlocked.Add(ref bytesSinceCheckpoint, count);
        if (pending < ByteInterval && timeProvider.GetElapsedTime(Interlocked.Read(ref lastCheckpoint)) < Interval)
        {
            return;
        }

        if (!Monitor.TryEnter(gate))
        {
            return;
        }

        try
        {
            WriteLocked();
        }
        finally
        {
            Monitor.Exit(gate);
        }
    }

    /// <summary>Checkpoints now (at the end of a run, whatever ended it).</summary>
    public void Write()
    {
        lock (gate)
        {
            WriteLocked();
        }
    }

    private void WriteLocked()
    {
        Interlocked.Exchange(ref bytesSinceCheckpoint, 0);
        Interlocked.Exchange(ref lastCheckpoint, timeProvider.GetTimestamp());

        // Snapshot first: every byte it counts was written before the flush below, so the flush covers it.
        var segments = scheduler.Snapshot();
        part.FlushToDisk();
        state.Segments = segments;
        state.Updated = timeProvider.GetUtcNow();
        store.Save(state);
    }
}
