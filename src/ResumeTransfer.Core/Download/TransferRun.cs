using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Runs the workers of one pass over one version of the file: each takes or steals segments until none is left.
/// The first worker to fail stops the others (within the time a read takes to notice cancellation); the most
/// meaningful failure wins: start over, then a transfer error, then anything else, then cancellation.
/// </summary>
internal sealed class TransferRun
{
    /// <summary>The largest read buffer a worker rents (once per worker).</summary>
    /// <remarks>
    /// 512 KiB rather than 128 KiB: on a fast link each read returns what the socket holds, so a bigger buffer means
    /// fewer reads, writes and scheduler calls per MiB (1 GiB over loopback, 1 connection: about 25% less CPU in the
    /// copy loop, measured). See <see cref="BufferSizeFor"/> for many connections.
    /// </remarks>
    public const int BufferSize = 512 * 1024;

    /// <summary>All workers' buffers together stay within this (8 connections and fewer get the full 512 KiB each).</summary>
    public const int TotalBufferBudget = 4 * 1024 * 1024;

    /// <summary>
    /// A worker's buffer for <paramref name="connections"/> connections: 512 KiB up to 8, then the 4 MiB budget shared
    /// (256 KiB from 9 to 16, 128 KiB from 17 to 32), a power of two because the shared pool rounds up to one. Many
    /// connections are only worth having when each is slow, and a slow connection never fills a big buffer, so memory
    /// stays flat as connections are added.
    /// </summary>
    public static int BufferSizeFor(int connections)
    {
        var share = Math.Max(128 * 1024, Math.Min(BufferSize, TotalBufferBudget / Math.Max(1, connections)));
        var size = 128 * 1024;
        while (size * 2 <= share)
        {
            size *= 2;
        }

        return size;
    }

    private readonly SegmentScheduler scheduler;
    private readonly SegmentFetcher fetcher;
    private readonly int workerCount;
    private readonly int bufferSize;
    private int workersUsed;

    public TransferRun(SegmentScheduler scheduler, SegmentFetcher fetcher, int workerCount)
    {
        this.scheduler = scheduler;
        this.fetcher = fetcher;
        this.workerCount = workerCount;
        bufferSize = BufferSizeFor(workerCount);
    }

    /// <summary>Workers that fetched at least one segment.</summary>
    public int WorkersUsed => Volatile.Read(ref workersUsed);

    /// <summary>
    /// Runs to completion; <paramref name="carried"/> is an open answer from byte 0 (the opening probe's 206 or 200, or
    /// a 200 that started the pass over) for the segment starting at byte 0.
    /// </summary>
    public async Task RunAsync(RangeBody? carried, CancellationToken cancellationToken)
    {
        // One token source per worker: a worker that stops the run with an open 200 answer hands that answer to the
        // next run, and the answer's reads depend on the token it was opened with, so that one must not be cancelled.
        var tokens = new CancellationTokenSource[workerCount];
        for (var i = 0; i < workerCount; i++)
        {
            tokens[i] = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        }

        CancellationTokenSource? handedOver = null;
        try
        {
            // Every worker gets its first range here, in order, before any of them runs: the carried answer goes with the
            // first segment before any other worker can take or split it, and a worker whose answer is already open (and
            // so finishes its piece first) cannot take a second piece before a slower-starting worker took its first.
            var firsts = new Segment?[workerCount];
            for (var i = 0; i < workerCount; i++)
            {
                firsts[i] = scheduler.TryTake();
            }

            if (carried is not null && firsts[0] is null)
            {
                carried.Dispose();
                carried = null;
            }

            var workers = new Task[workerCount];
            for (var i = 0; i < workerCount; i++)
            {
                var (segment, body, token) = (firsts[i], i == 0 ? carried : null, tokens[i].Token);
                workers[i] = Task.Run(() => WorkAsync(segment, body, token), CancellationToken.None);
            }

            var pending = new List<Task>(workers);
            Exception? primary = null;
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).ConfigureAwait(false);
                pending.Remove(done);
                if (done.Status == TaskStatus.RanToCompletion)
                {
                    continue;
                }

                var index = Array.IndexOf(workers, done);
                Exception failure = done.IsCanceled
                    ? new OperationCanceledException(tokens[index].Token)
                    : done.Exception!.InnerException ?? done.Exception;
                if (primary is null || Rank(failure) > Rank(primary))
                {
                    (primary as StartOverException)?.TakeBody()?.Dispose();
                    primary = failure;
                    if (failure is StartOverException { Body: not null } restart)
                    {
                        if (tokens[index].IsCancellationRequested)
                        {
                            // Stopped already for another reason: this answer cannot be read any more; ask again instead.
                            restart.TakeBody()?.Dispose();
                        }
                        else
                        {
                            handedOver = tokens[index];
                            restart.KeepAliveWithBody(handedOver);
                        }
                    }
                }
                else
                {
                    (failure as StartOverException)?.TakeBody()?.Dispose();
                }

                foreach (var source in tokens)
                {
                    if (source != handedOver)
                    {
                        source.Cancel();
                    }
                }
            }

            if (cancellationToken.IsCancellationRequested)
            {
                (primary as StartOverException)?.TakeBody()?.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (primary is not null)
            {
                ExceptionDispatchInfo.Capture(primary).Throw();
            }
        }
        finally
        {
            foreach (var source in tokens)
            {
                if (source != handedOver)
                {
                    source.Dispose();
                }
            }
        }
    }

    private static int Rank(Exception failure) => failure switch
    {
        StartOverException => 3,
        TransferException => 2,
        OperationCanceledException => 0,
        _ => 1,
    };

    private async Task WorkAsync(Segment? segment, RangeBody? carried, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        var counted = false;
        try
        {
            segment ??= scheduler.TryTake();
            while (segment is not null)
            {
                if (!counted)
                {
                    counted = true;
                    Interlocked.Increment(ref workersUsed);
                }

                try
                {
                    var body = carried;
                    carried = null;
                    await fetcher.FetchAsync(segment, body, buffer, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    scheduler.Release(segment);
                }

                cancellationToken.ThrowIfCancellationRequested();
                segment = scheduler.TryTake();
            }
        }
        finally
        {
            carried?.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
