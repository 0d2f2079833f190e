using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.ExceptionServices;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Sends the chunks an upload still needs over its connections, each attempt under the stall watchdog and the retry
/// policy, and journals every acknowledged chunk through the <see cref="StateWriter"/>. It only carries out the plan:
/// which chunks to send was decided before (<see cref="PartReconciler"/>, or the server's offset).
/// </summary>
internal sealed class ChunkSender
{
    private readonly IUploadProtocol protocol;
    private readonly UploadRequest request;
    private readonly TimeProvider time;
    private readonly ITransferObserver observer;
    private readonly ResiliencePipeline pipeline;
    private readonly UploadStateStore store;
    private readonly UploadState state;
    private readonly TransferCounters counters;
    private readonly object gate = new();
    private long bytesSent;
    private long bytesAlreadyHeld;

    public ChunkSender(
        IUploadProtocol protocol, UploadRequest request, TimeProvider time, ITransferObserver observer, ResiliencePipeline pipeline, UploadStateStore store, UploadState state, TransferCounters counters)
    {
        this.protocol = protocol;
        this.request = request;
        this.time = time;
        this.observer = observer;
        this.pipeline = pipeline;
        this.store = store;
        this.state = state;
        this.counters = counters;
    }

    /// <summary>Payload bytes sent in this run.</summary>
    public long BytesSent => Interlocked.Read(ref bytesSent);

    /// <summary>Bytes of chunks the protocol found already held when it was about to send them (<see cref="ChunkReceipt.AlreadyHeld"/>).</summary>
    public long BytesAlreadyHeld => Interlocked.Read(ref bytesAlreadyHeld);

    private string Name => System.IO.Path.GetFileName(request.Path);

    /// <summary>Sends <paramref name="todo"/>; the first connection to fail for good stops the others, and every acknowledged chunk stays on record.</summary>
    public async Task SendAllAsync(UploadSource source, UploadSession session, IReadOnlyList<UploadChunk> todo, int connections, CancellationToken cancellationToken)
    {
        var queue = new ConcurrentQueue<UploadChunk>(todo);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var journal = new StateWriter(() => store.SaveJson(Snapshot()), StateWriterOptions.Upload, time);
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            counters.ConnectionOpened();
            try
            {
                while (!stop.IsCancellationRequested && queue.TryDequeue(out var chunk))
                {
                    var receipt = await SendOneAsync(source, session, chunk, stop.Token).ConfigureAwait(false);
                    Record(receipt, journal);
                }
            }
            catch
            {
                stop.Cancel();
                throw;
            }
            finally
            {
                counters.ConnectionClosed();
            }
        }).ToList();

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            var failure = workers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            FlushAfterFailure(journal, failure);
            cancellationToken.ThrowIfCancellationRequested();
            if (failure is not null)
            {
                ExceptionDispatchInfo.Capture(failure).Throw();
            }

            throw;
        }

        journal.Flush();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Keeps every acknowledged chunk on record when the upload stops; a disk error here must not hide the one that stopped it.</summary>
    private void FlushAfterFailure(StateWriter journal, Exception? failure)
    {
        try
        {
            journal.Flush();
        }
        catch (Exception ex) when (!ReferenceEquals(ex, failure))
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"Could not record the last acknowledged chunks in '{store.StatePath}' ({ex.Message}). -Resume asks the server what it holds, so at worst they are sent again.");
        }
    }

    private Task<ChunkReceipt> SendOneAsync(UploadSource source, UploadSession session, UploadChunk chunk, CancellationToken cancellationToken) =>
        RetryRules.RunAsync(
            pipeline,
            request.MaxRetries,
            UploadRun.KeptWhenGivingUp,
            async t =>
            {
                using var watchdog = new StallWatchdog(time, request.StallTimeout, t, armed: true);
                try
                {
                    return await protocol.SendChunkAsync(session, source, chunk, new AttemptProgress(watchdog, counters), watchdog.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!t.IsCancellationRequested)
                {
                    // Not the caller's cancellation: our stall watchdog, or a client library's own timeout. Both are worth another try.
                    throw new TransientTransferException(
                        TransferErrorKind.TransferTimedOut,
                        watchdog.Fired
                            ? $"Chunk {chunk.Number} of '{Name}' made no progress for {request.StallTimeout.TotalSeconds:0.#} s."
                            : $"Chunk {chunk.Number} of '{Name}' timed out ({ex.Message}).",
                        ex);
                }
            },
            cancellationToken);

    private void Record(ChunkReceipt receipt, StateWriter journal)
    {
        lock (gate)
        {
            if (protocol.Addressing == UploadAddressing.Offset)
            {
                var offset = receipt.ServerOffset ?? (receipt.Offset + receipt.Length);
                state.AcknowledgedOffset = offset;
                counters.SetCompleted(offset);
            }
            else
            {
                state.Parts.RemoveAll(p => p.Number == receipt.Number);
                state.Parts.Add(UploadState.PartRecord.From(receipt));
                counters.AddCompleted(receipt.Length);
            }

            if (receipt.AlreadyHeld)
            {
                Interlocked.Add(ref bytesAlreadyHeld, receipt.Length);
            }
            else
            {
                Interlocked.Add(ref bytesSent, receipt.BytesSent ?? receipt.Length);
            }

            state.UpdatedUtc = time.GetUtcNow();
            journal.Changed();
        }
    }

    /// <summary>The state as JSON, taken under the lock the workers update it under (the writer thread calls it).</summary>
    private string Snapshot()
    {
        lock (gate)
        {
            return state.ToJson();
        }
    }

    /// <summary>Per-attempt progress: each byte moved restarts the stall clock and feeds the speed.</summary>
    private sealed class AttemptProgress : IProgress<long>
    {
        private readonly StallWatchdog watchdog;
        private readonly TransferCounters counters;
        private long last;

        public AttemptProgress(StallWatchdog watchdog, TransferCounters counters)
        {
            this.watchdog = watchdog;
            this.counters = counters;
        }

        public void Report(long value)
        {
            var delta = value - last;
            last = value;
            if (delta > 0)
            {
                // Only bytes moving count as progress: the final zero-byte read at the end of a chunk is not.
                watchdog.Arm();
                counters.AddMoved(delta);
            }
        }
    }
}
