using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Downloads one resource into a file so that no byte is lost or corrupted across failures and runs: probe (for a
/// fresh download, with the first data request itself), lock, decide what to keep, fetch the missing segments over
/// several connections with retries and checkpoints, check length (and hash), then rename the part file onto the target.
/// </summary>
/// <remarks>
/// One engine may run many downloads at once (one <see cref="DownloadAsync"/> call each). Progress and messages go to
/// the observer given here; the engine never writes to the console.
/// </remarks>
public sealed class DownloadEngine
{
    /// <summary>How many times the remote file may change under one download before it fails with RemoteChanged.</summary>
    public const int MaxVersionRestarts = 3;

    private readonly Func<DownloadRequest, IByteSource> sourceFactory;
    private readonly TimeProvider timeProvider;
    private readonly ITransferObserver observer;

    /// <summary>Creates an engine that fetches over HTTP(S), FTP(S) or S3, as each request's address says.</summary>
    /// <param name="client">The shared client for http(s) (from <see cref="TransferHttpClientFactory.Create"/>); not disposed by the engine.</param>
    /// <param name="timeProvider">Clock for back-off, checkpoints, progress and durations (<see cref="TimeProvider.System"/> outside tests).</param>
    /// <param name="observer">Receives progress snapshots and verbose/warning messages, from any thread.</param>
    public DownloadEngine(HttpClient client, TimeProvider timeProvider, ITransferObserver observer)
        : this(request => ByteSourceFactory.Create(request, client, observer, timeProvider), timeProvider, observer)
    {
        if (client is null)
        {
            throw new ArgumentNullException(nameof(client));
        }
    }

    /// <summary>An engine over any byte source (tests, and sources other than HTTP).</summary>
    internal DownloadEngine(Func<DownloadRequest, IByteSource> sourceFactory, TimeProvider timeProvider, ITransferObserver observer)
    {
        this.sourceFactory = sourceFactory ?? throw new ArgumentNullException(nameof(sourceFactory));
        this.timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        this.observer = observer ?? throw new ArgumentNullException(nameof(observer));
    }

    /// <summary>
    /// Downloads <see cref="TransferRequest.Uri"/> to <see cref="DownloadRequest.OutputPath"/>.
    /// </summary>
    /// <param name="request">What to fetch and how.</param>
    /// <param name="transferId">Id put in every progress snapshot of this download (one progress bar per id).</param>
    /// <param name="cancellationToken">Stops the download within about a second; the progress is saved for -Resume.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="TransferException">The download failed; <see cref="TransferException.Kind"/> says why, the message what to do.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the state file records what is on disk.</exception>
    public async Task<DownloadResult> DownloadAsync(DownloadRequest request, int transferId, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            throw new ArgumentNullException(nameof(request));
        }

        DownloadRequestValidator.Validate(request);
        var started = timeProvider.GetTimestamp();
        var counters = new TransferCounters();
        using var progress = new ProgressReporter(observer, timeProvider, counters, transferId, InitialName(request));
        using var source = sourceFactory(request);
        progress.Start();

        // A file target is locked and checked before any request; a folder target needs the server's name first.
        var intoDirectory = request.OutputIsDirectory || Directory.Exists(request.OutputPath);
        TargetPaths? paths = null;
        TransferLock? transferLock = null;
        RangeBody? firstAnswer = null;
        try
        {
            if (!intoDirectory)
            {
                paths = TargetPaths.ForFile(request.OutputPath);
                RequireFolder(Path.GetDirectoryName(paths.Target));
                transferLock = LockAndCheck(paths, request);
            }

            SourceProbe probe;
            if (source is IOpeningProbe opener && (paths is null || NothingToCompare(paths, request)))
            {
                // Nothing on disk needs the server's validators before the first byte is read: the first data request
                // is the probe. Its body stays unread until the target is locked and checked.
                var opened = await OpenFirstAsync(opener, source, request, cancellationToken).ConfigureAwait(false);
                probe = opened.Probe;
                firstAnswer = opened.Body;
            }
            else
            {
                probe = await ProbeAsync(source, request, cancellationToken).ConfigureAwait(false);
            }

            if (paths is null)
            {
                Directory.CreateDirectory(request.OutputPath);
                paths = TargetPaths.InDirectory(request.OutputPath, probe.SuggestedFileName, request.Uri);
                observer.OnMessage(TransferMessageLevel.Verbose, $"Saving to '{paths.Target}'.");
                transferLock = LockAndCheck(paths, request);
            }

            var store = new DownloadStateStore(paths.State);
            var planner = new ResumePlanner(request, paths, store, observer, timeProvider);
            var plan = planner.Plan(probe, source.DisplayUri);
            progress.Update(paths.FileName, plan.State?.Length ?? probe.Identity.Length, TransferPhase.Transferring);

            if (plan.TargetComplete)
            {
                return await FinishExistingTargetAsync(request, paths, probe, plan, counters, progress, started, cancellationToken).ConfigureAwait(false);
            }

            // The open answer is the first segment's only when the part file starts empty; a run that continues bytes on
            // disk asks for what it lacks with If-Range instead. A 416 has nothing to carry.
            RangeBody? carried = null;
            if (plan.FreshPart && firstAnswer is { Answer: RangeAnswer.Partial or RangeAnswer.Whole })
            {
                carried = firstAnswer;
                firstAnswer = null;
            }

            var session = new DownloadSession(request, paths, store, source, plan, counters, progress, timeProvider, observer, token => ProbeAsync(source, request, token), probe.Grid);
            await session.RunAsync(carried, cancellationToken).ConfigureAwait(false);
            return await FinishAsync(request, paths, store, session, counters, progress, started, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            firstAnswer?.Dispose();
            transferLock?.Dispose();
        }
    }

    /// <summary>
    /// True when the run is known to start from byte 0 whatever the server says: no state to continue and no existing
    /// target to continue as a prefix (those need the server's validators before anything is read). Called under the lock.
    /// </summary>
    private static bool NothingToCompare(TargetPaths paths, DownloadRequest request) =>
        request.ExistingTarget != ExistingTargetPolicy.Resume || (!File.Exists(paths.State) && !File.Exists(paths.Target));

    private Task<OpenedProbe> OpenFirstAsync(IOpeningProbe opener, IByteSource source, DownloadRequest request, CancellationToken cancellationToken) =>
        WithRetriesAsync($"Opening {source.DisplayUri}", request, token => opener.ProbeByOpeningAsync(token), cancellationToken);

    private Task<SourceProbe> ProbeAsync(IByteSource source, DownloadRequest request, CancellationToken cancellationToken) =>
        WithRetriesAsync($"Probing {source.DisplayUri}", request, token => source.ProbeAsync(token), cancellationToken);

    /// <summary>Runs one request under the download's retry policy; a transient failure that outlasts it is given up as the request says.</summary>
    private Task<T> WithRetriesAsync<T>(string what, DownloadRequest request, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        RetryRules.RunAsync(
            RetryPipelineFactory.Create(SegmentFetcher.RetryOptionsFor(request), timeProvider, observer, what),
            request.MaxRetries,
            SegmentFetcher.KeptWhenGivingUp,
            call,
            cancellationToken);

    private static string InitialName(DownloadRequest request)
    {
        var name = Path.GetFileName(request.OutputPath ?? string.Empty);
        return string.IsNullOrEmpty(name) || request.OutputIsDirectory ? request.Uri?.Segments is { Length: > 0 } s ? s[s.Length - 1] : TargetPaths.FallbackFileName : name;
    }

    private static void RequireFolder(string? folder)
    {
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"The folder '{folder}' does not exist. Create it first, or give a path in an existing folder.");
        }
    }

    private static TransferLock LockAndCheck(TargetPaths paths, DownloadRequest request)
    {
        var transferLock = TransferLock.Acquire(paths.Lock, paths.Target);
        try
        {
            var planner = new ResumePlanner(request, paths, new DownloadStateStore(paths.State), NullTransferObserver.Instance, TimeProvider.System);
            planner.ThrowIfExistingNotAllowed();
            planner.ThrowIfLinksWouldBeFollowed();
            return transferLock;
        }
        catch
        {
            transferLock.Dispose();
            throw;
        }
    }

    private async Task<DownloadResult> FinishExistingTargetAsync(
        DownloadRequest request,
        TargetPaths paths,
        SourceProbe probe,
        DownloadPlan plan,
        TransferCounters counters,
        ProgressReporter progress,
        long started,
        CancellationToken cancellationToken)
    {
        counters.SetCompleted(plan.ResumedBytes);
        progress.SetPhase(TransferPhase.Verifying);
        var hash = await HashAndCheckAsync(
            request,
            paths.Target,
            $"'{paths.Target}' has the remote file's length but its {{0}} is {{1}}, not {{2}}; it is not the file asked for. Use -Force to download it again.",
            cancellationToken).ConfigureAwait(false);
        return BuildResult(request, paths, plan.ResumedBytes, counters, plan.ResumedBytes, started, hash, 0, probe.Identity, restarted: false);
    }

    private async Task<DownloadResult> FinishAsync(
        DownloadRequest request,
        TargetPaths paths,
        DownloadStateStore store,
        DownloadSession session,
        TransferCounters counters,
        ProgressReporter progress,
        long started,
        CancellationToken cancellationToken)
    {
        progress.SetPhase(TransferPhase.Verifying);
        var state = session.State;
        var expected = session.CompletedLength;
        var actual = new FileInfo(paths.Part).Length;
        if (actual != expected)
        {
            throw new TransferException(
                TransferErrorKind.IntegrityCheckFailed,
                $"The part file '{paths.Part}' has {actual} bytes but the file is {expected} bytes long. Run the same command with -Resume to fetch what is missing, or with -Force to start over.");
        }

        var hash = await HashAndCheckAsync(
            request,
            paths.Part,
            $"The downloaded data's {{0}} is {{1}}, but {{2}} was expected. The data is kept in '{paths.Part}'; check -ExpectedHash and -HashAlgorithm, or run again with -Force to download the file again.",
            cancellationToken).ConfigureAwait(false);

        // -Force replaces a file the user may have shared or made executable: the new one keeps its permissions.
        OwnFile.CopyPermissions(paths.Target, paths.Part);
        AtomicFile.Replace(paths.Part, paths.Target);
        store.Delete();
        observer.OnMessage(TransferMessageLevel.Verbose, $"Saved '{paths.Target}' ({expected} bytes).");
        return BuildResult(request, paths, expected, counters, session.ResumedBytes, started, hash, session.ConnectionsUsed, state.ToIdentity(), session.Restarted);
    }

    /// <summary>Hashes when asked to; throws IntegrityCheckFailed (formatted from <paramref name="mismatch"/>: algorithm, actual, expected) on a mismatch.</summary>
    private static async Task<string?> HashAndCheckAsync(DownloadRequest request, string path, string mismatch, CancellationToken cancellationToken)
    {
        if (request.ExpectedHash is null && !request.ComputeHash)
        {
            return null;
        }

        var algorithm = FileHasher.Normalize(request.HashAlgorithm)!;
        var hash = await FileHasher.ComputeAsync(path, algorithm, cancellationToken).ConfigureAwait(false);
        if (request.ExpectedHash is { } expected && !FileHasher.Matches(hash, expected))
        {
            throw new TransferException(
                TransferErrorKind.IntegrityCheckFailed,
                string.Format(System.Globalization.CultureInfo.InvariantCulture, mismatch, algorithm, hash, expected.Trim().ToLowerInvariant()));
        }

        return hash;
    }

    private DownloadResult BuildResult(
        DownloadRequest request,
        TargetPaths paths,
        long length,
        TransferCounters counters,
        long resumed,
        long started,
        string? hash,
        int connections,
        RemoteIdentity identity,
        bool restarted)
    {
        var duration = timeProvider.GetElapsedTime(started);
        var downloaded = counters.MovedBytes;
        return new DownloadResult
        {
            Path = paths.Target,
            Uri = request.Uri,
            Length = length,
            BytesDownloaded = downloaded,
            BytesResumed = resumed,
            Duration = duration,
            AverageBytesPerSecond = duration > TimeSpan.Zero ? downloaded / duration.TotalSeconds : 0,
            Hash = hash,
            HashAlgorithm = hash is null ? null : FileHasher.Normalize(request.HashAlgorithm),
            Connections = connections,
            ETag = identity.ETag,
            LastModified = identity.LastModified,
            Restarted = restarted,
        };
    }
}
