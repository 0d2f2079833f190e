using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using ResumeTransfer.Core.Retry;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>The lifetime of one upload: the steps <see cref="UploadEngine"/> promises, in order.</summary>
internal sealed class UploadRun
{
    /// <summary>What survives an upload that gave up.</summary>
    public const string KeptWhenGivingUp = "The chunks the server acknowledged are kept";

    private readonly UploadRequest request;
    private readonly IUploadProtocol protocol;
    private readonly TimeProvider time;
    private readonly ITransferObserver observer;
    private readonly int transferId;
    private readonly string? perUserFolder;
    private readonly object gate = new();
    private ResiliencePipeline pipeline = ResiliencePipeline.Empty;
    private UploadStateStore? store;
    private StateWriter? journal;
    private UploadState state = new();
    private long bytesSent;

    public UploadRun(UploadRequest request, IUploadProtocol protocol, TimeProvider time, ITransferObserver observer, int transferId, string? perUserFolder)
    {
        this.request = request;
        this.protocol = protocol;
        this.time = time;
        this.observer = observer;
        this.transferId = transferId;
        this.perUserFolder = perUserFolder;
    }

    private string Name => Path.GetFileName(request.Path);

    public async Task<UploadResult> ExecuteAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var path = Path.GetFullPath(request.Path);
        if (Directory.Exists(path))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{path}' is a directory. Give the path of a file to upload (pipe Get-ChildItem to upload many).");
        }

        var source = new UploadSource(path, SourceFingerprint.Compute(path));
        pipeline = RetryPipelineFactory.Create(
            RetryRules.Options(request.MaxRetries, request.RetryInterval, request.MaxRetryAfter), time, observer, $"Upload of '{Name}'");

        using (store = UploadStateStore.Open(path, perUserFolder))
        {
            var (session, status, restarted) = await StartOrResumeAsync(source, cancellationToken).ConfigureAwait(false);
            var plan = await PlanAsync(source, session, status, cancellationToken).ConfigureAwait(false);
            var connections = protocol.Addressing == UploadAddressing.Offset
                ? 1
                : Math.Max(1, Math.Min(Math.Min(request.Connections, protocol.MaximumConnections), plan.Todo.Count));

            var counters = new TransferCounters();
            counters.SetCompleted(plan.Skipped);
            using (var progress = new ProgressReporter(observer, time, counters, transferId, Name, source.Length, TransferPhase.Transferring))
            {
                progress.Start();
                await SendAllAsync(source, session, plan.Todo, connections, counters, cancellationToken).ConfigureAwait(false);
                progress.SetPhase(TransferPhase.Verifying);
                EnsureSourceUnchanged(source);
                var parts = protocol.Addressing == UploadAddressing.Parts
                    ? state.Parts.OrderBy(p => p.Number).Select(p => p.ToReceipt()).ToList()
                    : new List<ChunkReceipt>();
                var completion = await RetryAsync(t => protocol.CompleteAsync(session, source, parts, t), cancellationToken).ConfigureAwait(false);
                store.Delete();
                progress.Complete();

                var duration = time.GetElapsedTime(started);
                string? bucket = null;
                string? key = null;
                if (protocol.Kind == UploadProtocolKind.S3)
                {
                    session.Properties.TryGetValue("bucket", out bucket);
                    session.Properties.TryGetValue("key", out key);
                }
                return new UploadResult
                {
                    Path = path,
                    Uri = WithoutUserInfo(request.Uri),
                    Target = protocol.Target,
                    Protocol = protocol.Kind,
                    Bucket = bucket,
                    Key = key,
                    Length = source.Length,
                    BytesSent = bytesSent,
                    BytesSkipped = plan.Skipped,
                    Duration = duration,
                    AverageBytesPerSecond = duration.TotalSeconds > 0 ? bytesSent / duration.TotalSeconds : 0,
                    UploadId = session.UploadId,
                    UploadUrl = session.UploadUrl,
                    ETag = completion.ETag,
                    Hash = completion.Hash,
                    HashAlgorithm = completion.HashAlgorithm,
                    ChunkSize = session.ChunkSize,
                    Connections = connections,
                    Restarted = restarted,
                };
            }
        }
    }

    private static Uri WithoutUserInfo(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri : new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;

    private async Task<(UploadSession Session, ServerUploadStatus Status, bool Restarted)> StartOrResumeAsync(UploadSource source, CancellationToken cancellationToken)
    {
        var previous = LoadPrevious();
        var restarted = false;
        if (previous is not null)
        {
            switch (request.ExistingUpload)
            {
                case ExistingUploadPolicy.Fail:
                    throw new TransferException(
                        TransferErrorKind.TargetExists,
                        $"An unfinished upload of '{source.Path}' to {previous.Target} exists (state file '{store!.StatePath}'). Use -Resume to continue it, or -Force to abandon it and start over.");
                case ExistingUploadPolicy.Overwrite:
                    observer.OnMessage(TransferMessageLevel.Verbose, $"Abandoning the earlier upload of '{Name}' to {previous.Target} (-Force).");
                    await AbandonAsync(previous, cancellationToken).ConfigureAwait(false);
                    restarted = true;
                    break;
                default:
                    if (previous.Protocol != protocol.Kind || !string.Equals(previous.Target, protocol.Target, StringComparison.Ordinal))
                    {
                        throw new TransferException(
                            TransferErrorKind.InvalidState,
                            $"The unfinished upload of '{source.Path}' recorded in '{store!.StatePath}' goes to {previous.Target} ({previous.Protocol}), not {protocol.Target} ({protocol.Kind}). Finish it with that address, or use -Force to abandon it and upload to {protocol.Target}.");
                    }

                    if (!previous.Fingerprint.ToFingerprint().Matches(source.Fingerprint))
                    {
                        observer.OnMessage(
                            TransferMessageLevel.Warning,
                            $"'{source.Path}' changed since its upload to {previous.Target} started (length, time or content differ). Abandoning that upload and starting a new one, so old and new contents are never mixed.");
                        await AbandonAsync(previous, cancellationToken).ConfigureAwait(false);
                        restarted = true;
                        break;
                    }

                    var session = previous.ToSession();
                    var status = await RetryAsync(t => protocol.GetStatusAsync(session, source, t), cancellationToken).ConfigureAwait(false);
                    if (status is not null)
                    {
                        state = previous;
                        if (request.ChunkSize is { } asked && asked != session.ChunkSize)
                        {
                            observer.OnMessage(TransferMessageLevel.Verbose, $"Keeping the chunk size of the upload being resumed ({session.ChunkSize} bytes), not {asked}.");
                        }

                        return (session, status, false);
                    }

                    observer.OnMessage(
                        TransferMessageLevel.Warning,
                        $"The server no longer has the upload of '{Name}' ({previous.UploadUrl ?? previous.UploadId}): it expired or was deleted. Starting a new upload from byte 0.");
                    restarted = true;
                    break;
            }
        }

        var chunkSize = ChunkPlanner.ChooseChunkSize(request.ChunkSize, protocol.ChunkLimits, source.Length, protocol.Kind.ToString(), out var grown);
        if (grown)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"Chunk size raised to {chunkSize} bytes so that {source.Length} bytes fit in {protocol.ChunkLimits.MaximumCount} chunks.");
        }

        var created = await RetryAsync(t => protocol.CreateAsync(source, chunkSize, t), cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        state = new UploadState
        {
            Protocol = protocol.Kind,
            Target = protocol.Target,
            SourcePath = source.Path,
            Fingerprint = UploadState.FingerprintRecord.From(source.Fingerprint),
            UploadId = created.UploadId,
            UploadUrl = created.UploadUrl?.AbsoluteUri,
            ChunkSize = created.ChunkSize > 0 ? created.ChunkSize : chunkSize,
            Properties = created.Properties.ToDictionary(p => p.Key, p => p.Value),
            AcknowledgedOffset = protocol.Addressing == UploadAddressing.Offset ? 0 : null,
            CreatedUtc = now,
            UpdatedUtc = now,
        };

        // Recorded at once: a crash right after creation still lets the next run resume (or abandon) this upload.
        store!.Save(state);
        var fresh = state.ToSession();
        var empty = protocol.Addressing == UploadAddressing.Offset
            ? new ServerUploadStatus { Offset = 0 }
            : new ServerUploadStatus { Parts = Array.Empty<ChunkReceipt>() };
        return (fresh, empty, restarted);
    }

    private UploadState? LoadPrevious()
    {
        try
        {
            return store!.Load();
        }
        catch (TransferException ex) when (ex.Kind == TransferErrorKind.InvalidState && request.ExistingUpload == ExistingUploadPolicy.Overwrite)
        {
            observer.OnMessage(TransferMessageLevel.Warning, $"{ex.Message} It is replaced (-Force); any server-side upload it recorded is left to expire.");
            return null;
        }
    }

    private async Task AbandonAsync(UploadState previous, CancellationToken cancellationToken)
    {
        if (previous.Protocol != protocol.Kind)
        {
            observer.OnMessage(TransferMessageLevel.Warning, $"The earlier {previous.Protocol} upload to {previous.Target} cannot be abandoned over {protocol.Kind}; it stays on the server until it expires.");
        }
        else
        {
            try
            {
                var old = previous.ToSession();
                await pipeline.ExecuteAsync(async t => await protocol.AbortAsync(old, t).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                observer.OnMessage(TransferMessageLevel.Verbose, $"Abandoned the earlier upload to {previous.Target} ({previous.UploadUrl ?? previous.UploadId}).");
            }
            catch (TransferException ex)
            {
                observer.OnMessage(TransferMessageLevel.Warning, $"Could not abandon the earlier upload to {previous.Target}: {ex.Message} It stays on the server until it expires.");
            }
        }

        store!.Delete();
    }

    private async Task<(List<UploadChunk> Todo, long Skipped)> PlanAsync(UploadSource source, UploadSession session, ServerUploadStatus status, CancellationToken cancellationToken)
    {
        var chunkSize = session.ChunkSize;
        if (protocol.Addressing == UploadAddressing.Offset)
        {
            if (status.Offset < 0 || status.Offset > source.Length)
            {
                throw new TransferException(
                    TransferErrorKind.ProtocolViolation,
                    $"The server says it holds {status.Offset} bytes of the {source.Length}-byte upload of '{Name}'. Use -Force to start a new upload.");
            }

            state.AcknowledgedOffset = status.Offset;
            if (status.Offset > 0)
            {
                observer.OnMessage(TransferMessageLevel.Verbose, $"The server holds {status.Offset} of {source.Length} bytes; continuing from there.");
            }

            return (ChunkPlanner.FromOffset(status.Offset, source.Length, chunkSize).ToList(), status.Offset);
        }

        var journal = state.Parts.ToDictionary(p => p.Number);
        var held = new List<UploadState.PartRecord>();
        if (status.Parts is null)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"The server cannot list the parts it holds; trusting the local journal of {journal.Count} acknowledged parts.");
            held.AddRange(journal.Values.Where(p => IsOnGrid(p.Number, p.Length, source.Length, chunkSize)));
        }
        else
        {
            foreach (var part in status.Parts)
            {
                var kept = await VerifyHeldPartAsync(source, part, journal, chunkSize, cancellationToken).ConfigureAwait(false);
                if (kept is not null)
                {
                    held.Add(kept);
                }
            }
        }

        state.Parts = held.OrderBy(p => p.Number).ToList();
        store!.Save(state);
        var numbers = new HashSet<int>(held.Select(p => p.Number));
        var todo = ChunkPlanner.All(source.Length, chunkSize).Where(c => !numbers.Contains(c.Number)).ToList();
        var skipped = held.Sum(p => p.Length);
        if (held.Count > 0)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"The server holds {held.Count} parts ({skipped} bytes); sending the other {todo.Count}.");
        }

        return (todo, skipped);
    }

    private static bool IsOnGrid(int number, long length, long sourceLength, long chunkSize) =>
        number >= 1 && number <= ChunkPlanner.CountFor(sourceLength, chunkSize) && ChunkPlanner.Chunk(number, sourceLength, chunkSize).Length == length;

    /// <summary>A part the server lists is kept only when it is the right size and provably holds our bytes.</summary>
    private async Task<UploadState.PartRecord?> VerifyHeldPartAsync(
        UploadSource source, ChunkReceipt part, Dictionary<int, UploadState.PartRecord> journal, long chunkSize, CancellationToken cancellationToken)
    {
        if (!IsOnGrid(part.Number, part.Length, source.Length, chunkSize))
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"Part {part.Number} on the server has {part.Length} bytes, not what this upload's grid needs; sending it again.");
            return null;
        }

        var chunk = ChunkPlanner.Chunk(part.Number, source.Length, chunkSize);
        journal.TryGetValue(part.Number, out var recorded);
        var md5 = part.Md5;
        if (md5 is null && recorded is not null)
        {
            // The server lists the part without a checksum; our journal proves we sent these bytes and it acknowledged them.
            return new UploadState.PartRecord { Number = part.Number, Offset = chunk.Offset, Length = chunk.Length, Md5 = recorded.Md5, ETag = part.ETag ?? recorded.ETag };
        }

        if (md5 is null)
        {
            return null;
        }

        var matches = recorded?.Md5 is { } known && string.Equals(known, md5, StringComparison.OrdinalIgnoreCase);
        if (!matches)
        {
            // Acknowledged by the server but not journalled (a crash between the two): prove it holds our bytes.
            var local = await source.Md5HexAsync(chunk, cancellationToken).ConfigureAwait(false);
            matches = string.Equals(local, md5, StringComparison.OrdinalIgnoreCase);
        }

        if (!matches)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"Part {part.Number} on the server does not match the file (MD5 {md5}); sending it again.");
            return null;
        }

        return new UploadState.PartRecord { Number = part.Number, Offset = chunk.Offset, Length = chunk.Length, Md5 = md5.ToLowerInvariant(), ETag = part.ETag ?? recorded?.ETag };
    }

    private async Task SendAllAsync(
        UploadSource source, UploadSession session, List<UploadChunk> todo, int connections, TransferCounters progress, CancellationToken cancellationToken)
    {
        var queue = new ConcurrentQueue<UploadChunk>(todo);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var written = journal = new StateWriter(() => store!.SaveJson(SnapshotState()), StateWriterOptions.Upload, time);
        var workers = Enumerable.Range(0, connections).Select(async _ =>
        {
            progress.ConnectionOpened();
            try
            {
                while (!stop.IsCancellationRequested && queue.TryDequeue(out var chunk))
                {
                    var receipt = await SendOneAsync(source, session, chunk, progress, stop.Token).ConfigureAwait(false);
                    Record(receipt, progress);
                }
            }
            catch
            {
                // One connection failing for good stops the others; the state keeps every acknowledged chunk.
                stop.Cancel();
                throw;
            }
            finally
            {
                progress.ConnectionClosed();
            }
        }).ToList();

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            var failure = workers.Where(w => w.IsFaulted).Select(w => w.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException);
            FlushJournalAfterFailure(failure);
            cancellationToken.ThrowIfCancellationRequested();
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
            }

            throw;
        }

        journal.Flush();
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Keeps every acknowledged chunk on record when the upload stops; a disk error here must not hide the one that stopped it.</summary>
    private void FlushJournalAfterFailure(Exception? failure)
    {
        try
        {
            journal!.Flush();
        }
        catch (Exception ex) when (!ReferenceEquals(ex, failure))
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"Could not record the last acknowledged chunks in '{store!.StatePath}' ({ex.Message}). -Resume asks the server what it holds, so at worst they are sent again.");
        }
    }

    private async Task<ChunkReceipt> SendOneAsync(UploadSource source, UploadSession session, UploadChunk chunk, TransferCounters progress, CancellationToken cancellationToken)
    {
        return await RetryAsync(
            async t =>
            {
                using var watchdog = new StallWatchdog(time, request.StallTimeout, t, armed: true);
                var attempt = new AttemptProgress(watchdog, progress);
                try
                {
                    return await protocol.SendChunkAsync(session, source, chunk, attempt, watchdog.Token).ConfigureAwait(false);
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
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One network operation under the upload's retry policy; retries that run out are given up with the -Resume advice.</summary>
    private Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RetryRules.RunAsync(pipeline, request.MaxRetries, KeptWhenGivingUp, call, cancellationToken);

    private void Record(ChunkReceipt receipt, TransferCounters progress)
    {
        lock (gate)
        {
            if (protocol.Addressing == UploadAddressing.Offset)
            {
                var offset = receipt.ServerOffset ?? (receipt.Offset + receipt.Length);
                state.AcknowledgedOffset = offset;
                progress.SetCompleted(offset);
            }
            else
            {
                state.Parts.RemoveAll(p => p.Number == receipt.Number);
                state.Parts.Add(UploadState.PartRecord.From(receipt));
                progress.AddCompleted(receipt.Length);
            }

            bytesSent += receipt.BytesSent ?? receipt.Length;
            state.UpdatedUtc = time.GetUtcNow();
            journal!.Changed();
        }
    }

    /// <summary>The state as JSON, taken under the lock the workers update it under (the journal's writer thread calls it).</summary>
    private string SnapshotState()
    {
        lock (gate)
        {
            return state.ToJson();
        }
    }

    private static void EnsureSourceUnchanged(UploadSource source)
    {
        var info = new FileInfo(source.Path);
        if (!info.Exists || info.Length != source.Length || info.LastWriteTimeUtc.Ticks != source.Fingerprint.LastWriteTimeUtc.Ticks)
        {
            throw new TransferException(
                TransferErrorKind.IntegrityCheckFailed,
                $"'{source.Path}' changed while it was being uploaded, so the upload was not completed. Run the command again with -Resume: the changed file is then uploaded anew.");
        }
    }

    /// <summary>Per-attempt progress: each byte moved restarts the stall clock and feeds the speed.</summary>
    private sealed class AttemptProgress : IProgress<long>
    {
        private readonly StallWatchdog watchdog;
        private readonly TransferCounters progress;
        private long last;

        public AttemptProgress(StallWatchdog watchdog, TransferCounters progress)
        {
            this.watchdog = watchdog;
            this.progress = progress;
        }

        public void Report(long value)
        {
            var delta = value - last;
            last = value;
            if (delta > 0)
            {
                // Only bytes moving count as progress: the final zero-byte read at the end of a chunk is not.
                watchdog.Arm();
                progress.AddMoved(delta);
            }
        }
    }
}
