using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Upload;

/// <summary>The first step of an upload: carry out the <see cref="UploadResumePolicy"/>'s decision about the recorded upload.</summary>
internal sealed partial class UploadRun
{
    private async Task<(UploadSession Session, ServerUploadStatus Status, bool Restarted)> StartOrResumeAsync(UploadSource source, CancellationToken cancellationToken)
    {
        var previous = LoadPrevious();
        var facts = new ResumeFacts(previous, Store.StatePath, source, request.ExistingUpload, protocol.Kind, protocol.Target, request.Uri);
        var decision = Decide(facts);
        if (decision.Action == ResumeAction.AskServer)
        {
            var session = previous!.ToSession();
            var status = await RetryAsync(t => protocol.GetStatusAsync(session, source, t), cancellationToken).ConfigureAwait(false);
            decision = Decide(facts with { Server = status is null ? ServerAnswer.Gone : ServerAnswer.HoldsIt });
            if (decision.Action == ResumeAction.Continue)
            {
                state = previous;
                if (request.ChunkSize is { } asked && asked != session.ChunkSize)
                {
                    observer.OnMessage(TransferMessageLevel.Verbose, $"Keeping the chunk size of the upload being resumed ({session.ChunkSize} bytes), not {asked}.");
                }

                return (session, status!, false);
            }
        }

        switch (decision.Action)
        {
            case ResumeAction.Fail:
                throw new TransferException(decision.FailureKind, decision.FailureMessage!);
            case ResumeAction.Restart:
                if (decision.AbortPrevious)
                {
                    await AbortAsync(previous!, cancellationToken).ConfigureAwait(false);
                }

                Store.Delete();
                return await CreateAsync(source, restarted: true, cancellationToken).ConfigureAwait(false);
            default:
                return await CreateAsync(source, restarted: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private ResumeDecision Decide(ResumeFacts facts)
    {
        var decision = UploadResumePolicy.Decide(facts);
        foreach (var (level, text) in decision.Messages)
        {
            observer.OnMessage(level, text);
        }

        return decision;
    }

    private UploadState? LoadPrevious()
    {
        try
        {
            return Store.Load();
        }
        catch (TransferException ex) when (ex.Kind == TransferErrorKind.InvalidState && request.ExistingUpload == ExistingUploadPolicy.Overwrite)
        {
            observer.OnMessage(TransferMessageLevel.Warning, $"{ex.Message} It is replaced (-Force); any server-side upload it recorded is left to expire.");
            return null;
        }
    }

    /// <summary>Abandons the recorded upload on the server; one that cannot be abandoned is left to expire, with a warning.</summary>
    private async Task AbortAsync(UploadState previous, CancellationToken cancellationToken)
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

    private async Task<(UploadSession Session, ServerUploadStatus Status, bool Restarted)> CreateAsync(UploadSource source, bool restarted, CancellationToken cancellationToken)
    {
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
        Store.Save(state);
        var empty = protocol.Addressing == UploadAddressing.Offset
            ? new ServerUploadStatus { Offset = 0 }
            : new ServerUploadStatus { Parts = Array.Empty<ChunkReceipt>() };
        return (state.ToSession(), empty, restarted);
    }
}
