using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.State;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Makes progress durable: flush the part file's data to disk, then replace the state file that counts those bytes.
/// In that order a crash at any instant leaves a state that claims only bytes already on disk. Due every second or
/// every 8 MiB written, whichever comes first, and once more when the pass ends.
/// </summary>
/// <remarks>
/// The periodic checkpoints run on a dedicated thread, not on the worker whose write made one due: a flush to disk
/// can block for a long time on a busy disk, and a thread-pool thread blocked there delays every read, timer and
/// cancellation of the process (and the workers would wait for the disk instead of the network).
/// </remarks>
internal sealed class CheckpointWriter : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    public const long ByteInterval = 8 * 1024 * 1024;

    private readonly DownloadStateStore store;
    private readonly DownloadState state;
    private readonly SegmentScheduler scheduler;
    private readonly PartFileWriter part;
    private readonly TimeProvider timeProvider;
    private readonly object gate = new();
    private readonly SemaphoreSlim due = new(0);
    private readonly CancellationTokenSource stopping = new();
    private readonly object loopGate = new();
    private Task? loop;
    private bool started;
    private bool stopped;
    private bool stateSaved;
    private long bytesSinceCheckpoint;
    private long lastCheckpoint;
    private int requested;
    private ExceptionDispatchInfo? failure;

    public CheckpointWriter(DownloadStateStore store, DownloadState state, SegmentScheduler scheduler, PartFileWriter part, TimeProvider timeProvider)
    {
        this.store = store;
        this.state = state;
        this.scheduler = scheduler;
        this.part = part;
        this.timeProvider = timeProvider;
        lastCheckpoint = timeProvider.GetTimestamp();
        stateSaved = store.Exists;
    }

    /// <summary>
    /// Starts the thread that writes the periodic checkpoints when the first one is due, so a download that ends
    /// before that (most small files) creates no thread.
    /// </summary>
    public void Start()
    {
        started = true;
    }

    /// <summary>Called after each write: asks for a checkpoint when one is due. Throws if the last checkpoint failed.</summary>
    public void OnWritten(int count)
    {
        Volatile.Read(ref failure)?.Throw();
        var pending = Interlocked.Add(ref bytesSinceCheckpoint, count);
        if (pending < ByteInterval && timeProvider.GetElapsedTime(Interlocked.Read(ref lastCheckpoint)) < Interval)
        {
            return;
        }

        if (Interlocked.CompareExchange(ref requested, 1, 0) == 0)
        {
            EnsureLoop();
            due.Release();
        }
    }

    /// <summary>Stops the periodic checkpoints and writes one now (at the end of a pass, whatever ended it).</summary>
    /// <param name="complete">
    /// True when every byte is on disk and the part file is renamed onto the target next. The data is then flushed
    /// as always (so the rename never publishes a file whose bytes a crash could lose), but a state file that was
    /// never written is not written now: it would be deleted right after the rename, and if that never happens a
    /// part file without state is downloaded again, which is safe.
    /// </param>
    public void Write(bool complete = false)
    {
        StopLoop();
        lock (gate)
        {
            if (complete && !stateSaved)
            {
                part.FlushToDisk();
                return;
            }

            WriteLocked();
        }
    }

    public void Dispose()
    {
        StopLoop();
        stopping.Dispose();
        due.Dispose();
    }

    private void EnsureLoop()
    {
        lock (loopGate)
        {
            if (started && !stopped && loop is null)
            {
                loop = Task.Factory.StartNew(WriteWhenDue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            }
        }
    }

    private void StopLoop()
    {
        Task? running;
        lock (loopGate)
        {
            stopped = true;
            running = loop;
            loop = null;
        }

        if (running is null)
        {
            return;
        }

        stopping.Cancel();
        try
        {
            running.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void WriteWhenDue()
    {
        while (true)
        {
            due.Wait(stopping.Token);
            Interlocked.Exchange(ref requested, 0);
            try
            {
                lock (gate)
                {
                    WriteLocked();
                }
            }
            catch (Exception ex)
            {
                // Surfaces on the next write, which fails its worker and so the pass.
                Volatile.Write(ref failure, ExceptionDispatchInfo.Capture(ex));
                return;
            }
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
        stateSaved = true;
    }
}
