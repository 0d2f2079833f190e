using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// The lifetime of one upload, the steps <see cref="UploadEngine"/> promises, in order: decide what to do with a recorded
/// upload (<see cref="UploadResumePolicy"/>), open or create the server-side upload, work out what is left to send
/// (<see cref="PartReconciler"/> or the server's offset), send it (<see cref="ChunkSender"/>), complete and verify.
/// </summary>
internal sealed partial class UploadRun
{
    /// <summary>What survives an upload that gave up.</summary>
    public const string KeptWhenGivingUp = "The chunks the server acknowledged are kept";

    /// <summary>How often parts the server lost are sent again before the upload is given up on.</summary>
    private const int MaxResendRounds = 2;

    private readonly UploadRequest request;
    private readonly IUploadProtocol protocol;
    private readonly TimeProvider time;
    private readonly ITransferObserver observer;
    private readonly int transferId;
    private readonly string? perUserFolder;
    private ResiliencePipeline pipeline = ResiliencePipeline.Empty;
    private UploadStateStore? store;
    private UploadState state = new();

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

    private UploadStateStore Store => store ?? throw new InvalidOperationException("The state store is not open.");

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
            var (todo, skipped) = await PlanAsync(source, session, status, cancellationToken).ConfigureAwait(false);
            var connections = protocol.Addressing == UploadAddressing.Offset
                ? 1
                : Math.Max(1, Math.Min(Math.Min(request.Connections, protocol.MaximumConnections), todo.Count));

            var counters = new TransferCounters();
            counters.SetCompleted(skipped);
            var sender = new ChunkSender(protocol, request, time, observer, pipeline, Store, state, counters);
            using var progress = new ProgressReporter(observer, time, counters, transferId, Name, source.Length, TransferPhase.Transferring);
            progress.Start();
            await SendAllAsync(source, session, sender, todo, connections, cancellationToken).ConfigureAwait(false);
            var completion = await CompleteAsync(source, session, sender, progress, counters, connections, cancellationToken).ConfigureAwait(false);
            Store.Delete();
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
                BytesSent = sender.BytesSent,
                BytesSkipped = skipped + sender.BytesAlreadyHeld,
                Duration = duration,
                AverageBytesPerSecond = duration.TotalSeconds > 0 ? sender.BytesSent / duration.TotalSeconds : 0,
                UploadId = session.UploadId,
                UploadUrl = session.UploadUrl,
                ETag = completion.ETag,
                Hash = completion.Hash,
                HashAlgorithm = completion.HashAlgorithm,
                ChunkSize = session.ChunkSize,
                Connections = connections,
                Restarted = restarted,
                Verified = completion.Verified,
            };
        }
    }

    /// <summary>
    /// Completes the upload. Parts the server lost after acknowledging them are sent again as chunks like any other
    /// (retries, progress, journal), then the upload is completed again; a server that keeps losing them is given up on.
    /// </summary>
    private async Task<UploadCompletion> CompleteAsync(
        UploadSource source, UploadSession session, ChunkSender sender, ProgressReporter progress, TransferCounters counters, int connections, CancellationToken cancellationToken)
    {
        for (var round = 0; ; round++)
        {
            progress.SetPhase(TransferPhase.Verifying);
            EnsureSourceUnchanged(source);
            var parts = protocol.Addressing == UploadAddressing.Parts
                ? state.Parts.OrderBy(p => p.Number).Select(p => p.ToReceipt()).ToList()
                : new List<ChunkReceipt>();
            var completion = await RetryAsync(t => protocol.CompleteAsync(session, source, parts, t), cancellationToken).ConfigureAwait(false);
            if (completion.MissingParts is not { Count: > 0 } missing)
            {
                return completion;
            }

            if (round == MaxResendRounds)
            {
                throw new TransferException(
                    TransferErrorKind.ProtocolViolation,
                    $"{protocol.Target} keeps losing chunks of '{Name}' it had acknowledged: {missing.Count} were still missing after sending them again {MaxResendRounds} times. Check the server's storage, then run the command again with -Resume.");
            }

            observer.OnMessage(TransferMessageLevel.Warning, $"{protocol.Target} lacks {missing.Count} chunks of '{Name}' that it had acknowledged; sending them again.");
            // Forgotten in the journal and taken back from the progress: the sender records them again once acknowledged.
            var lost = new HashSet<int>(missing.Select(c => c.Number));
            counters.AddCompleted(-state.Parts.Where(p => lost.Contains(p.Number)).Sum(p => p.Length));
            state.Parts.RemoveAll(p => lost.Contains(p.Number));
            Store.Save(state);
            progress.SetPhase(TransferPhase.Transferring);
            await sender.SendAllAsync(source, session, missing, Math.Min(connections, missing.Count), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends <paramref name="todo"/>. A server without a merge call (<see cref="ChunkLimits.ServerAssemblesWhenComplete"/>)
    /// assembles the file the moment it holds every chunk, before <see cref="CompleteAsync"/> could check the source: so
    /// the last chunk waits until all others are acknowledged and the source's fingerprint still matches. A source that
    /// changed meanwhile then fails with the usual error while the server still lacks a chunk, and nothing is assembled.
    /// </summary>
    private async Task SendAllAsync(UploadSource source, UploadSession session, ChunkSender sender, IReadOnlyList<UploadChunk> todo, int connections, CancellationToken cancellationToken)
    {
        if (!protocol.ChunkLimits.ServerAssemblesWhenComplete || todo.Count == 0)
        {
            await sender.SendAllAsync(source, session, todo, connections, cancellationToken).ConfigureAwait(false);
            return;
        }

        var last = todo.OrderBy(c => c.Number).Last();
        var others = todo.Where(c => c.Number != last.Number).ToList();
        await sender.SendAllAsync(source, session, others, connections, cancellationToken).ConfigureAwait(false);
        EnsureSourceUnchanged(source);
        if (!SourceFingerprint.Compute(source.Path).Matches(source.Fingerprint))
        {
            throw SourceChanged(source);
        }

        observer.OnMessage(TransferMessageLevel.Verbose, $"All other chunks of '{Name}' are acknowledged and the source is unchanged: sending the one held back, with which {protocol.Target} assembles the file.");
        await sender.SendAllAsync(source, session, [last], 1, cancellationToken).ConfigureAwait(false);
    }

    private static Uri WithoutUserInfo(Uri uri) =>
        string.IsNullOrEmpty(uri.UserInfo) ? uri : new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri;

    /// <summary>What is left to send, and how many bytes the server already holds.</summary>
    private async Task<(IReadOnlyList<UploadChunk> Todo, long Skipped)> PlanAsync(UploadSource source, UploadSession session, ServerUploadStatus status, CancellationToken cancellationToken)
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

            return (ChunkPlanner.FromOffset(status.Offset, source.Length, chunkSize), status.Offset);
        }

        var local = new Dictionary<int, string>();
        var remainderInLast = protocol.ChunkLimits.LastChunkTakesRemainder;
        foreach (var number in PartReconciler.NeedingLocalMd5(status.Parts, state.Parts, source.Length, chunkSize, remainderInLast))
        {
            // Acknowledged by the server but not journalled (a crash between the two): the file itself proves it holds our bytes.
            local[number] = await source.Md5HexAsync(ChunkPlanner.Chunk(number, source.Length, chunkSize, remainderInLast), cancellationToken).ConfigureAwait(false);
        }

        var plan = PartReconciler.Reconcile(status.Parts, state.Parts, source.Length, chunkSize, local, remainderInLast);
        foreach (var note in plan.Notes)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, note);
        }

        state.Parts = plan.Kept.ToList();
        Store.Save(state);
        if (plan.Kept.Count > 0)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"The server holds {plan.Kept.Count} parts ({plan.SkippedBytes} bytes); sending the other {plan.ToSend.Count}.");
        }

        return (plan.ToSend, plan.SkippedBytes);
    }

    /// <summary>One network operation under the upload's retry policy; retries that run out are given up with the -Resume advice.</summary>
    private Task<T> RetryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RetryRules.RunAsync(pipeline, request.MaxRetries, KeptWhenGivingUp, call, cancellationToken);

    private static void EnsureSourceUnchanged(UploadSource source)
    {
        var info = new FileInfo(source.Path);
        if (!info.Exists || info.Length != source.Length || info.LastWriteTimeUtc.Ticks != source.Fingerprint.LastWriteTimeUtc.Ticks)
        {
            throw SourceChanged(source);
        }
    }

    private static TransferException SourceChanged(UploadSource source) => new(
        TransferErrorKind.IntegrityCheckFailed,
        $"'{source.Path}' changed while it was being uploaded, so the upload was not completed. Run the command again with -Resume: the changed file is then uploaded anew.");
}
