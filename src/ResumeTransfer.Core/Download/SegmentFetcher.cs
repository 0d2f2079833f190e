using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Fetches one segment into the part file. Every attempt opens a new range at the segment's current
/// <see cref="Segment.Next"/> (the bytes actually on disk), never at its original start, inside the retry pipeline.
/// When the attempts of one retry budget moved the segment forward by at least <see cref="BudgetRenewalBytes"/> before
/// the budget ran out, a fresh budget starts: a long transfer over a flaky link is limited by failures without real
/// progress, not by failures in total. A server that cuts every response after a few bytes still exhausts it, and
/// MaxRetries 0 still means no retry at all.
/// </summary>
internal sealed class SegmentFetcher
{
    /// <summary>Progress that earns a fresh retry budget.</summary>
    public const long BudgetRenewalBytes = 1024 * 1024;

    private readonly IByteSource source;
    private readonly RemoteIdentity expected;
    private readonly SegmentScheduler scheduler;
    private readonly PartFileWriter part;
    private readonly StateWriter checkpoint;
    private readonly TransferCounters counters;
    private readonly DownloadRequest request;
    private readonly TimeProvider timeProvider;
    private readonly ITransferObserver observer;
    private readonly string name;
    private readonly bool fromStartOnly;

    // fromStartOnly: the server serves ranges from byte 0 only (StartOverReason.RangesOnlyFromStart), so every range is
    // asked from byte 0 and the bytes before the segment's Next are read and skipped.
    public SegmentFetcher(
        IByteSource source,
        RemoteIdentity expected,
        SegmentScheduler scheduler,
        PartFileWriter part,
        StateWriter checkpoint,
        TransferCounters counters,
        DownloadRequest request,
        TimeProvider timeProvider,
        ITransferObserver observer,
        string name,
        bool fromStartOnly = false)
    {
        this.source = source;
        this.expected = expected;
        this.scheduler = scheduler;
        this.part = part;
        this.checkpoint = checkpoint;
        this.counters = counters;
        this.request = request;
        this.timeProvider = timeProvider;
        this.observer = observer;
        this.name = name;
        this.fromStartOnly = fromStartOnly;
    }

    /// <summary>What survives a download that gave up.</summary>
    public const string KeptWhenGivingUp = "The bytes already saved are kept";

    /// <summary>The retry settings of one network operation of this request.</summary>
    public static RetryOptions RetryOptionsFor(DownloadRequest request) =>
        RetryRules.Options(request.MaxRetries, request.RetryInterval, request.MaxRetryAfter);

    /// <summary>The error reported when retries ran out: what failed, and that the saved bytes are kept.</summary>
    public static TransferException GiveUp(TransientTransferException failure, DownloadRequest request) =>
        RetryRules.GiveUp(failure, request.MaxRetries, KeptWhenGivingUp);

    /// <summary>Fetches <paramref name="segment"/> to its (possibly shrinking) end; <paramref name="carried"/> is an already open answer to use first.</summary>
    public async Task FetchAsync(Segment segment, RangeBody? carried, byte[] buffer, CancellationToken cancellationToken)
    {
        var box = new StrongBox<RangeBody?>(carried);
        try
        {
            var renewAt = scheduler.Position(segment).Next + BudgetRenewalBytes;
            while (true)
            {
                var (next, end) = scheduler.Position(segment);
                var pipeline = RetryPipelineFactory.Create(
                    RetryOptionsFor(request),
                    timeProvider,
                    observer,
                    $"'{name}' bytes {next}-{(end is { } e ? (e - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}");
                try
                {
                    await pipeline.ExecuteAsync(
                        static (args, token) => new ValueTask(args.Fetcher.AttemptAsync(args.Segment, args.Box, args.Buffer, token)),
                        (Fetcher: this, Segment: segment, Box: box, Buffer: buffer),
                        cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (TransientTransferException ex) when (request.MaxRetries > 0 && scheduler.Position(segment).Next >= renewAt)
                {
                    var reached = scheduler.Position(segment).Next;
                    renewAt = reached + BudgetRenewalBytes;
                    observer.OnMessage(
                        TransferMessageLevel.Verbose,
                        $"'{name}': retries ran out, but the range got to byte {reached} first ({ex.Message}); continuing from there with a fresh retry budget.");
                }
                catch (TransientTransferException ex)
                {
                    throw GiveUp(ex, request);
                }
            }
        }
        finally
        {
            box.Value?.Dispose();
        }
    }

    private async Task AttemptAsync(Segment segment, StrongBox<RangeBody?> carried, byte[] buffer, CancellationToken cancellationToken)
    {
        var (next, end) = scheduler.Position(segment);
        if (end is { } known && next >= known)
        {
            return;
        }

        var body = carried.Value;
        carried.Value = null;
        if (body is null)
        {
            try
            {
                body = await source.OpenRangeAsync(fromStartOnly ? 0 : next, end - 1, expected, cancellationToken).ConfigureAwait(false);
            }
            catch (TransferException ex) when (ex.Kind == TransferErrorKind.RemoteChanged && ex is not TransientTransferException)
            {
                throw new StartOverException(StartOverReason.RemoteChanged, ex.Message, newIdentity: null);
            }
        }

        try
        {
            Accept(segment, body, next);
        }
        catch (StartOverException restart) when (restart.Body == body)
        {
            throw; // the body travels with the exception
        }
        catch
        {
            body.Dispose();
            throw;
        }

        using (body)
        {
            counters.ConnectionOpened();
            try
            {
                if (body.Answer == RangeAnswer.Partial && body.StartOffset < next)
                {
                    await SkipAsync(body.Content, next - body.StartOffset, buffer, cancellationToken).ConfigureAwait(false);
                }

                await CopyAsync(segment, body.Content, buffer, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                counters.ConnectionClosed();
            }
        }
    }

    /// <summary>Checks the answer against what was asked; afterwards the body's first byte belongs at the segment's Next.</summary>
    private void Accept(Segment segment, RangeBody body, long next)
    {
        switch (body.Answer)
        {
            case RangeAnswer.NotSatisfiable:
                if (expected.Length is { } length && next < length && body.Identity.IsSameVersionAs(expected))
                {
                    // Bytes this version has, refused by a server that still describes the same version: it serves ranges
                    // from byte 0 only (a 206 to the first request, 416 to the rest). Asked from 0 already, it is broken.
                    if (fromStartOnly || next == 0)
                    {
                        throw new TransientTransferException(
                            TransferErrorKind.ProtocolViolation,
                            $"The server answered 416 (range not satisfiable) for bytes from byte 0 of a file it says has {length} bytes.");
                    }

                    throw new StartOverException(
                        StartOverReason.RangesOnlyFromStart,
                        $"The server answered 416 (range not satisfiable) for bytes from {next} of a file it says has {length} bytes, and the same version.",
                        body.Identity);
                }

                // Only asked for bytes this version has: a 416 with another length or validator means a new version.
                throw new StartOverException(
                    StartOverReason.RemoteChanged,
                    $"The server answered 416 (range not satisfiable) for bytes from {next} (its length is now {body.Identity.Length?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unknown"}).",
                    body.Identity);

            case RangeAnswer.Partial:
                if (!body.Identity.IsSameVersionAs(expected))
                {
                    throw new StartOverException(StartOverReason.RemoteChanged, "A range came from another version of the file.", body.Identity);
                }

                if (body.StartOffset > next)
                {
                    throw new TransientTransferException(
                        TransferErrorKind.ProtocolViolation,
                        $"The server sent bytes from {body.StartOffset} when bytes from {next} were asked for.");
                }

                return;

            default:
                var identity = body.Identity.Length is null && body.Length is { } whole ? body.Identity with { Length = whole } : body.Identity;
                if (!identity.IsSameVersionAs(expected))
                {
                    throw new StartOverException(StartOverReason.RemoteChanged, "The server sent the whole file with another version instead of the range.", identity, body);
                }

                if (segment.Start == 0 && next == 0)
                {
                    // The whole file from byte 0 is this segment's bytes, then more: write up to the segment's end.
                    return;
                }

                var discarded = scheduler.TryRewindToZero(segment);
                if (discarded < 0)
                {
                    throw new StartOverException(StartOverReason.RangesIgnored, "The server sent the whole file instead of the range.", identity, body);
                }

                if (discarded > 0)
                {
                    observer.OnMessage(TransferMessageLevel.Verbose, $"'{name}': the server sent the whole file instead of bytes from {discarded}; rewriting it from byte 0.");
                    counters.AddCompleted(-discarded);
                }

                return;
        }
    }

    /// <summary>Reads and drops the first <paramref name="count"/> bytes of the body: bytes already on disk that the server sent again.</summary>
    private async Task SkipAsync(Stream content, long count, byte[] buffer, CancellationToken cancellationToken)
    {
        observer.OnMessage(TransferMessageLevel.Verbose, $"'{name}': the server's answer starts {count} bytes before the first byte still missing; skipping them.");
        for (var left = count; left > 0;)
        {
            var read = await content.ReadAsync(buffer, 0, (int)Math.Min(buffer.Length, left), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                // The source throws on a short body; this guards a source that does not.
                throw new TransientTransferException(TransferErrorKind.ConnectionFailed, $"The response ended {left} bytes before the first byte still missing.");
            }

            left -= read;
        }
    }

    private async Task CopyAsync(Segment segment, Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var (next, end) = scheduler.Position(segment);
            var want = buffer.Length;
            if (end is { } known)
            {
                if (next >= known)
                {
                    // Done, or a thief took the rest: the unread remainder of this response is dropped with it.
                    return;
                }

                want = (int)Math.Min(want, known - next);
            }

            var read = await content.ReadAsync(buffer, 0, want, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (end is null)
                {
                    scheduler.CompleteOpenSegment(segment);
                    return;
                }

                // The source throws on a short body; this guards a source that does not.
                throw new TransientTransferException(
                    TransferErrorKind.ConnectionFailed,
                    $"The response ended at byte {next}, before byte {end}.");
            }

            var allowed = scheduler.Reserve(segment, read);
            if (allowed > 0)
            {
                await part.WriteAsync(next, buffer, allowed, cancellationToken).ConfigureAwait(false);
                scheduler.Commit(segment, allowed);
                counters.AddMoved(allowed);
                counters.AddCompleted(allowed);
                checkpoint.Changed(allowed);
            }
        }
    }
}
