using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Drives passes over the part file until every segment is on disk. A pass that proves the remote file changed (or
/// that the server ignores ranges) ends with <see cref="StartOverException"/>: the session then discards all bytes,
/// records the new version and starts again from byte 0, so every byte of the result comes from one version.
/// </summary>
internal sealed class DownloadSession
{
    /// <summary>Room given back for the state file on a full disk: the largest memory page in common use (64 KiB on some arm64 systems), so at least one file system block is freed.</summary>
    private const long StateRoom = 64 * 1024;

    private readonly DownloadRequest request;
    private readonly TargetPaths paths;
    private readonly DownloadStateStore store;
    private readonly IByteSource source;
    private readonly TransferCounters counters;
    private readonly ProgressReporter progress;
    private readonly TimeProvider timeProvider;
    private readonly ITransferObserver observer;
    private readonly Func<CancellationToken, Task<SourceProbe>> probe;
    private readonly bool freshAtStart;
    private bool rangesOnlyFromStart;

    // How the source wants the file cut (an object's part size); a probe after a restart may bring another.
    private SegmentGrid grid;

    public DownloadSession(
        DownloadRequest request,
        TargetPaths paths,
        DownloadStateStore store,
        IByteSource source,
        DownloadPlan plan,
        TransferCounters counters,
        ProgressReporter progress,
        TimeProvider timeProvider,
        ITransferObserver observer,
        Func<CancellationToken, Task<SourceProbe>> probe,
        SegmentGrid? grid = null)
    {
        this.request = request;
        this.paths = paths;
        this.store = store;
        this.source = source;
        this.counters = counters;
        this.progress = progress;
        this.timeProvider = timeProvider;
        this.observer = observer;
        this.probe = probe;
        this.grid = grid ?? SegmentGrid.Default;
        State = plan.State ?? throw new ArgumentException("The plan has no state to run.", nameof(plan));
        freshAtStart = plan.FreshPart;
        ResumedBytes = plan.ResumedBytes;
        Restarted = plan.Restarted;
    }

    /// <summary>The state being run (its identity is the version on disk).</summary>
    public DownloadState State { get; }

    /// <summary>Bytes kept from earlier runs (0 once the session started over).</summary>
    public long ResumedBytes { get; private set; }

    public bool Restarted { get; private set; }

    /// <summary>The most workers that fetched in one pass.</summary>
    public int ConnectionsUsed { get; private set; }

    /// <summary>The file's length once <see cref="RunAsync"/> completed.</summary>
    public long CompletedLength { get; private set; }

    /// <summary>Runs passes until the file is complete.</summary>
    /// <param name="firstAnswer">
    /// An open answer from byte 0 of the planned version (the opening probe's 206 or 200), used by the first segment
    /// before anything is asked; owned (and disposed) by the session from here on. Only for a fresh part file.
    /// </param>
    /// <param name="cancellationToken">Stops the run; the progress is checkpointed.</param>
    public async Task RunAsync(RangeBody? firstAnswer, CancellationToken cancellationToken)
    {
        var fresh = freshAtStart;
        RangeBody? carried = firstAnswer;
        if (carried is not null && !fresh)
        {
            carried.Dispose();
            throw new InvalidOperationException("An answer from byte 0 can only start a fresh part file.");
        }

        var versionRestarts = 0;
        var splitUpFront = true;
        while (true)
        {
            try
            {
                var body = carried;
                carried = null;
                await RunPassAsync(fresh, body, splitUpFront, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (StartOverException restart) when (restart.Reason == StartOverReason.RangesOnlyFromStart && !rangesOnlyFromStart)
            {
                ContinueOnOneConnectionFromStart(restart);
                fresh = false;
                splitUpFront = true;
            }
            catch (StartOverException restart)
            {
                carried = restart.TakeBody();
                try
                {
                    if (restart.Reason == StartOverReason.RemoteChanged && ++versionRestarts > DownloadEngine.MaxVersionRestarts)
                    {
                        throw new TransferException(
                            TransferErrorKind.RemoteChanged,
                            $"The remote file kept changing during the download ({DownloadEngine.MaxVersionRestarts} restarts); last: {restart.Message} Try again when it has stopped changing.",
                            restart);
                    }

                    await PrepareRestartAsync(restart, carried, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    carried?.Dispose();
                    throw;
                }

                fresh = true;
                splitUpFront = carried is null;
            }
        }
    }

    /// <summary>
    /// The server answers 416 to ranges that do not start at byte 0: from now on one connection asks from byte 0 and
    /// skips the bytes on disk before the first gap (the bytes after it are fetched again). Nothing on disk is discarded.
    /// </summary>
    private void ContinueOnOneConnectionFromStart(StartOverException restart)
    {
        rangesOnlyFromStart = true;
        var length = State.Length!.Value; // a 416 is taken for a refusal only when the length is known
        observer.OnMessage(TransferMessageLevel.Verbose, restart.Message);
        observer.OnMessage(
            TransferMessageLevel.Warning,
            $"'{paths.FileName}': the server does not really serve ranges: it answers 416 (range not satisfiable) to ranges that do not start at byte 0. Continuing with one connection that reads from byte 0 and skips the bytes already saved.");
        State.SupportsRanges = false;
        State.Segments = SegmentScheduler.FromFirstGap(State.Segments, length);
        State.Updated = timeProvider.GetUtcNow();
        store.Save(State);
    }

    private async Task PrepareRestartAsync(StartOverException restart, RangeBody? carried, CancellationToken cancellationToken)
    {
        var before = State.ToIdentity();
        RemoteIdentity identity;
        var supportsRanges = State.SupportsRanges;
        if (carried is not null)
        {
            identity = restart.NewIdentity ?? carried.Identity;
        }
        else
        {
            var fresh = await probe(cancellationToken).ConfigureAwait(false);
            identity = fresh.Identity;
            supportsRanges = fresh.SupportsRanges;
            grid = fresh.Grid;
        }

        if (restart.Reason == StartOverReason.RangesIgnored)
        {
            supportsRanges = false;
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"'{paths.FileName}': the server sent the whole file instead of the requested range, so it does not support ranges after all; continuing with one connection from byte 0.");
        }
        else
        {
            observer.OnMessage(TransferMessageLevel.Verbose, restart.Message);
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"'{paths.FileName}': the remote file changed ({RemoteChangeDescription.Describe(before, identity)}); starting over.");
        }

        State.SetIdentity(identity);
        State.SupportsRanges = supportsRanges;
        State.Segments = ResumePlanner.FreshSegments(identity.Length);
        State.Updated = timeProvider.GetUtcNow();
        store.Save(State);
        progress.Update(paths.FileName, identity.Length, TransferPhase.Transferring);
        ResumedBytes = 0;
        Restarted = true;
    }

    /// <param name="fresh">True when the part file starts empty.</param>
    /// <param name="carried">An open answer from byte 0 for the first segment, or null.</param>
    /// <param name="splitUpFront">
    /// True to split the file among the connections before they start (also when the first answer is already open:
    /// its worker then reads only the first piece, but files of 1 to 4 MiB keep as many connections as without it,
    /// which stealing, with its 2 MiB minimum, would not give them). False keeps the carried answer's segment whole and
    /// lets the others steal from it: a 200 that started the pass over is read for as long as it is useful.
    /// </param>
    /// <param name="cancellationToken">Stops the pass.</param>
    private async Task RunPassAsync(bool fresh, RangeBody? carried, bool splitUpFront, CancellationToken cancellationToken)
    {
        PartFileWriter part;
        try
        {
            part = PartFileWriter.Open(paths.Part, truncate: fresh, State.Length, paths.FileName);
        }
        catch
        {
            carried?.Dispose();
            throw;
        }

        using (part)
        {
            var scheduler = new SegmentScheduler(State.Segments, grid);
            var workers = State.SupportsRanges && State.Length is not null ? request.Connections : 1;
            if (carried is null || splitUpFront)
            {
                scheduler.Rebalance(workers);
            }

            // else: the worker holding the open answer keeps the whole file and the others steal from it, so the
            // answer is read for as long as it is useful instead of being cut at the first quarter.
            counters.SetCompleted(scheduler.CompletedBytes);
            var stateSaved = store.Exists;
            void Checkpoint()
            {
                // Snapshot first: every byte it counts was written before the flush below, so the flush covers it. In this
                // order a crash at any instant leaves a state that claims only bytes already on disk.
                var segments = scheduler.Snapshot();
                part.FlushToDisk();
                State.Segments = segments;
                State.Updated = timeProvider.GetUtcNow();
                store.Save(State);
                stateSaved = true;
            }

            using var checkpoint = new StateWriter(Checkpoint, StateWriterOptions.Download, timeProvider);
            var fetcher = new SegmentFetcher(source, State.ToIdentity(), scheduler, part, checkpoint, counters, request, timeProvider, observer, paths.FileName, rangesOnlyFromStart);
            var run = new TransferRun(scheduler, fetcher, workers);
            var finished = false;
            TransferException? diskFull = null;
            try
            {
                await run.RunAsync(carried, cancellationToken).ConfigureAwait(false);
                finished = true;
            }
            catch (TransferException ex) when (ex.Kind == TransferErrorKind.DiskFull)
            {
                diskFull = ex;
            }
            finally
            {
                ConnectionsUsed = Math.Max(ConnectionsUsed, run.WorkersUsed);
                if (diskFull is null)
                {
                    try
                    {
                        FinalCheckpoint(checkpoint, part, complete: finished && scheduler.IsComplete && State.Length is not null, () => stateSaved);
                    }
                    catch (Exception ex) when (!finished && (ex is IOException or UnauthorizedAccessException || IsDiskFull(ex)))
                    {
                        // The failure that ended the pass matters more; the previous checkpoint still stands.
                    }
                }
            }

            if (diskFull is not null)
            {
                throw SaveAfterDiskFull(diskFull, checkpoint, Checkpoint, part, scheduler);
            }

            if (!scheduler.IsComplete)
            {
                throw new TransferException(
                    TransferErrorKind.IntegrityCheckFailed,
                    $"The download of '{paths.FileName}' ended with bytes missing. Run the same command with -Resume to fetch them.");
            }

            if (State.Length is null)
            {
                // The length was unknown until the body ended cleanly: record it and cut anything beyond it.
                var total = scheduler.CompletedBytes;
                part.SetLength(total);
                State.Length = total;
                FinalCheckpoint(checkpoint, part, complete: true, () => stateSaved);
            }

            CompletedLength = State.Length!.Value;
        }
    }

    /// <summary>
    /// The data or the state met a full disk: saves the state (so -Resume keeps every byte it records) and says how much
    /// room the rest needs. When even the small state file finds no room, the last <see cref="StateRoom"/> bytes written
    /// are given back (fetched again next time) and the part file is cut there, so it does.
    /// </summary>
    private TransferException SaveAfterDiskFull(TransferException failure, StateWriter checkpoint, Action save, PartFileWriter part, SegmentScheduler scheduler)
    {
        checkpoint.Dispose();
        var saved = TrySave(save);
        if (!saved)
        {
            // Should this save fail too, an earlier state file may count bytes beyond the cut: -Resume then finds the
            // part file shorter than its state and downloads it again rather than trusting it.
            try
            {
                part.SetLength(scheduler.GiveBackTail(StateRoom));
                saved = TrySave(save);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Cutting the file failed too: what the previous state file records still stands.
            }
        }

        var written = scheduler.CompletedBytes;
        var missing = State.Length is { } total ? total - written : (long?)null;
        var needs = missing is { } m ? $"'{paths.FileName}' needs {DiskSpace.Bytes(m)} more ({DiskSpace.Bytes(State.Length!.Value)} in all)" : $"'{paths.FileName}' needs more (the server did not say how long it is)";
        var kept = saved
            ? $"The {DiskSpace.Bytes(written)} received are kept in '{paths.Part}' and the state is saved"
            : store.Exists
                ? "The state file could not be updated either; the previous one stands, so -Resume continues from the bytes it records"
                : "The state file could not be written either, so -Resume will download from the start";
        var free = missing is { } n ? $"free at least {DiskSpace.Bytes(n)} there" : "free space there";
        return new TransferException(
            TransferErrorKind.DiskFull,
            $"The disk holding '{paths.Part}' is full ({DiskSpace.FreeText(paths.Part)}): {needs}. {kept}: {free}, then run the same command with -Resume.",
            failure);
    }

    private static bool TrySave(Action save)
    {
        try
        {
            save();
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException || IsDiskFull(ex))
        {
            return false;
        }
    }

    private static bool IsDiskFull(Exception ex) => ex is TransferException { Kind: TransferErrorKind.DiskFull };

    /// <summary>Stops the periodic checkpoints and writes one now (at the end of a pass, whatever ended it).</summary>
    /// <param name="checkpoint">The pass's writer.</param>
    /// <param name="part">The part file.</param>
    /// <param name="complete">
    /// True when every byte is on disk and the part file is renamed onto the target next. The data is then flushed
    /// as always (so the rename never publishes a file whose bytes a crash could lose), but a state file that was
    /// never written is not written now: it would be deleted right after the rename, and if that never happens a
    /// part file without state is downloaded again, which is safe.
    /// </param>
    /// <param name="stateSaved">Whether a state file exists (read once the writer thread has stopped).</param>
    private static void FinalCheckpoint(StateWriter checkpoint, PartFileWriter part, bool complete, Func<bool> stateSaved)
    {
        checkpoint.Dispose();
        if (complete && !stateSaved())
        {
            part.FlushToDisk();
            return;
        }

        checkpoint.Flush(always: true);
    }
}
