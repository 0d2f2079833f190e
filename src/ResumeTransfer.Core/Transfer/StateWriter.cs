using System;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Keeps a transfer's state file up to date in the background, for both directions: the workers say what changed
/// (<see cref="Changed"/>) and a thread of its own writes when a write is due, so no worker waits for a flush to disk
/// (a flush can block for long on a busy disk, and a thread-pool thread blocked there delays every read, timer and
/// cancellation of the process). Changes that arrive while a write runs are coalesced into the next one, which takes
/// the newest state: the write callback takes its snapshot when the write starts, under the caller's own lock.
/// </summary>
/// <remarks>
/// A failed write surfaces at the next <see cref="Changed"/> (which fails the worker and so the transfer) and at
/// <see cref="Flush"/>; every way out of a transfer ends with <see cref="Flush"/> (or <see cref="Dispose"/>, which writes
/// nothing more). The thread starts with the first write that is due, so a transfer that ends before (most small
/// downloads) creates none.
/// </remarks>
internal sealed class StateWriter : IDisposable
{
    private readonly Action write;
    private readonly StateWriterOptions options;
    private readonly TimeProvider time;
    private readonly object gate = new();
    private readonly SemaphoreSlim due = new(0);
    private Task? loop;
    private bool changed;
    private bool woken;
    private bool stopping;
    private long bytesSinceWrite;
    private long lastWrite;
    private ExceptionDispatchInfo? failure;

    /// <param name="write">
    /// Writes the newest state: takes its snapshot under the lock the workers change the state under, then makes it
    /// durable. Called on the writer thread or by <see cref="Flush"/>, never twice at once.
    /// </param>
    /// <param name="options">When a write is due.</param>
    /// <param name="time">The clock of <see cref="StateWriterOptions.Interval"/>.</param>
    public StateWriter(Action write, StateWriterOptions options, TimeProvider time)
    {
        this.write = write;
        this.options = options;
        this.time = time;
        lastWrite = time.GetTimestamp();
    }

    /// <summary>Says the state changed (with <paramref name="bytes"/> more data behind it): it is written when due. Throws if a write failed.</summary>
    public void Changed(long bytes = 0)
    {
        Volatile.Read(ref failure)?.Throw();
        lock (gate)
        {
            if (stopping)
            {
                throw new InvalidOperationException("The state writer was flushed for the last time.");
            }

            changed = true;
            bytesSinceWrite += bytes;
            if (woken || (bytesSinceWrite < options.ByteInterval && time.GetElapsedTime(lastWrite) < options.Interval))
            {
                return;
            }

            woken = true;
            loop ??= Task.Factory.StartNew(WriteWhenDue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            due.Release();
        }
    }

    /// <summary>
    /// Stops the writer thread (a write it has begun is finished first) and writes the newest state now if it changed
    /// since the last write, or in any case with <paramref name="always"/>. Throws if a write failed, this one or an earlier one.
    /// </summary>
    public void Flush(bool always = false)
    {
        StopWriter();
        Volatile.Read(ref failure)?.Throw();
        if (TakeChange() || always)
        {
            write();
        }
    }

    /// <summary>Stops the writer thread without writing what is still pending (for the ways out that must not write).</summary>
    public void Dispose()
    {
        StopWriter();
        due.Dispose();
    }

    private void StopWriter()
    {
        Task? running;
        lock (gate)
        {
            if (stopping)
            {
                return;
            }

            stopping = true;
            running = loop;
        }

        if (running is null)
        {
            return;
        }

        due.Release();

        // The loop catches its own failures (they surface through Changed and Flush), so waiting cannot throw.
        running.GetAwaiter().GetResult();
    }

    /// <summary>Takes the pending change: the write about to start carries everything reported so far.</summary>
    private bool TakeChange()
    {
        lock (gate)
        {
            var was = changed;
            changed = false;
            woken = false;
            bytesSinceWrite = 0;
            lastWrite = time.GetTimestamp();
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

            if (!TakeChange())
            {
                continue;
            }

            try
            {
                write();
            }
            catch (Exception ex)
            {
                Volatile.Write(ref failure, ExceptionDispatchInfo.Capture(ex));
                return;
            }
        }
    }
}
