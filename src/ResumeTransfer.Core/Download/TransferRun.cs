using System;
using System.Buffers;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Runs the workers of one pass over one version of the file: each takes or steals segments until none is left.
/// The first worker to fail stops the others (within the time a read takes to notice cancellation); the most
/// meaningful failure wins: start over, then a transfer error, then anything else, then cancellation.
/// </summary>
internal sealed class TransferRun
{
    /// <summary>Each worker's read buffer, rented once per worker.</summary>
    public const int BufferSize = 128 * 1024;

    private readonly SegmentScheduler scheduler;
    private readonly SegmentFetcher fetcher;
    private readonly int workerCount;
    private int workersUsed;

    public TransferRun(SegmentScheduler scheduler, SegmentFetcher fetcher, int workerCount)
    {
        this.scheduler = scheduler;
        this.fetcher = fetcher;
        this.workerCount = workerCount;
    }

    /// <summary>Workers that fetched at least one segment.</summary>
    public int WorkersUsed => Volatile.Read(ref workersUsed);

    /// <summary>Runs to completion; <paramref name="carried"/> is an open 200 answer for the segment starting at byte 0.</summary>
    public async Task RunAsync(RangeBody? carried, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The carried answer belongs to the first segment: hand it out before any other worker can take or split it.
        var first = carried is null ? null : scheduler.TryTake();
        if (carried is not null && first is null)
        {
            carried.Dispose();
            carried = null;
        }

        var pending = new List<Task>(workerCount);
        for (var i = 0; i < workerCount; i++)
        {
            var (segment, body) = i == 0 ? (first, carried) : (null, null);
            pending.Add(Task.Run(() => WorkAsync(segment, body, stop.Token), CancellationToken.None));
        }

        Exception? primary = null;
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending).ConfigureAwait(false);
            pending.Remove(done);
            if (done.Status == TaskStatus.RanToCompletion)
            {
                continue;
            }

            Exception failure = done.IsCanceled
                ? new OperationCanceledException(stop.Token)
                : done.Exception!.InnerException ?? done.Exception;
            if (primary is null || Rank(failure) > Rank(primary))
            {
                (primary as StartOverException)?.TakeBody()?.Dispose();
                primary = failure;
            }
            else
            {
                (failure as StartOverException)?.TakeBody()?.Dispose();
            }

            stop.Cancel();
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

    private static int Rank(Exception failure) => failure switch
    {
        StartOverException => 3,
        TransferException => 2,
        OperationCanceledException => 0,
        _ => 1,
    };

    private async Task WorkAsync(Segment? segment, RangeBody? carried, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
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
