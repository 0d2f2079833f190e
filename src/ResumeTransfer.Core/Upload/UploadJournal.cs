using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Writes the upload state after each acknowledged chunk on a thread of its own, so the connections never wait for a
/// flush to disk (a sequential tus upload used to stall for one fsync per chunk). Records that arrive while a write is
/// running are coalesced into the next write, which serializes and carries the newest state: on disk the state lags by at most the
/// write in progress and the one queued behind it, and <see cref="Flush"/> brings it up to date.
/// </summary>
/// <remarks>
/// A crash that loses those writes costs nothing where the server says what it holds (tus HEAD, S3 ListParts, the chunk
/// API's status call, all read on resume); only a server that cannot list its parts has those chunks sent again.
/// </remarks>
internal sealed class UploadJournal : IDisposable
{
    private readonly UploadStateStore store;
    private readonly Func<string> snapshot;
    private readonly object gate = new();
    private readonly SemaphoreSlim due = new(0);
    private bool pending;
    private Task? loop;
    private bool stopping;
    private ExceptionDispatchInfo? failure;

    /// <param name="store">Where the state goes.</param>
    /// <param name="snapshot">
    /// The newest state as JSON, taken when a write starts (on the writer thread, never under this journal's lock), so
    /// records that a write coalesces are not serialized at all: with thousands of parts, serializing after every
    /// chunk would cost time in proportion to the square of the part count.
    /// </param>
    public UploadJournal(UploadStateStore store, Func<string> snapshot)
    {
        this.store = store;
        this.snapshot = snapshot;
    }

    /// <summary>Says the state changed: it is written soon. Throws if an earlier write failed.</summary>
    public void Record()
    {
        Volatile.Read(ref failure)?.Throw();
        lock (gate)
        {
            if (stopping)
            {
                throw new InvalidOperationException("The upload journal was flushed for the last time.");
            }

            var idle = !pending;
            pending = true;
            loop ??= Task.Factory.StartNew(WriteWhenDue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (idle)
            {
                due.Release();
            }
        }
    }

    /// <summary>Stops the writer thread and writes what is still pending, now. Throws if a write failed.</summary>
    public void Flush()
    {
        StopWriter();
        Volatile.Read(ref failure)?.Throw();
        if (TakePending())
        {
            store.SaveJson(snapshot());
        }
    }

    /// <summary>Stops the writer thread if <see cref="Flush"/> did not (nothing queued is written then).</summary>
    public void Dispose()
    {
        StopWriter();
        due.Dispose();
    }

    /// <summary>Tells the writer thread to end and waits for it; a write it has begun is finished first.</summary>
    private void StopWriter()
    {
        Task? running;
        lock (gate)
        {
            stopping = true;
            running = loop;
        }

        due.Release();

        // The loop catches its own failures (they surface through Record and Flush), so waiting cannot throw.
        running?.GetAwaiter().GetResult();
    }

    private bool TakePending()
    {
        lock (gate)
        {
            var was = pending;
            pending = false;
            return was;
        }
    }

    private void WriteWhenDue()
    {
        while (true)
        {
            due.Wait();
            lock (gate)
            {
                if (stopping)
                {
                    return;
                }
            }

            if (!TakePending())
            {
                continue;
            }

            try
            {
                store.SaveJson(snapshot());
            }
            catch (Exception ex)
            {
                // Surfaces on the next record or at the flush, which fails the upload with the disk's own error.
                Volatile.Write(ref failure, ExceptionDispatchInfo.Capture(ex));
                return;
            }
        }
    }
}
