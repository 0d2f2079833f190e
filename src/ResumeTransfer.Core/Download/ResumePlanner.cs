using System;
using System.Collections.Generic;
using System.IO;
using ResumeTransfer.Core.Sources;
using ResumeTransfer.Core.State;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Applies the existing-files policy: looks at the target, part file and state file, decides whether to continue,
/// start over or stop, and leaves on disk the state file the run starts from (a fresh run's state is written by its first
/// checkpoint, unless an old state file must be replaced at once). Under <see cref="ExistingTargetPolicy.Fail"/>
/// it touches nothing; elsewhere it never deletes a user's file (a target is replaced only by the final rename).
/// </summary>
internal sealed class ResumePlanner
{
    private readonly DownloadRequest request;
    private readonly TargetPaths paths;
    private readonly DownloadStateStore store;
    private readonly ITransferObserver observer;
    private readonly TimeProvider timeProvider;

    public ResumePlanner(DownloadRequest request, TargetPaths paths, DownloadStateStore store, ITransferObserver observer, TimeProvider timeProvider)
    {
        this.request = request;
        this.paths = paths;
        this.store = store;
        this.observer = observer;
        this.timeProvider = timeProvider;
    }

    /// <summary>Under <see cref="ExistingTargetPolicy.Fail"/>: throws <see cref="TransferErrorKind.TargetExists"/> if any file of this download exists.</summary>
    public void ThrowIfExistingNotAllowed()
    {
        if (request.ExistingTarget != ExistingTargetPolicy.Fail)
        {
            return;
        }

        string? what = null;
        if (OwnFile.Exists(paths.Part) || OwnFile.Exists(paths.State))
        {
            what = $"A partial download of '{paths.Target}' exists";
        }
        else if (OwnFile.Exists(paths.Target))
        {
            what = $"'{paths.Target}' already exists";
        }

        if (what is not null)
        {
            throw new TransferException(TransferErrorKind.TargetExists, $"{what}. Use -Resume to continue it or -Force to start over.");
        }
    }

    /// <summary>
    /// Under <see cref="ExistingTargetPolicy.Resume"/>: throws when a symbolic link has the name of the part file, the
    /// state file or the target, whose bytes -Resume would continue. (-Force replaces such a link, never writes through it.)
    /// </summary>
    public void ThrowIfLinksWouldBeFollowed()
    {
        if (request.ExistingTarget != ExistingTargetPolicy.Resume)
        {
            return;
        }

        OwnFile.ThrowIfLink(paths.Part);
        OwnFile.ThrowIfLink(paths.State);
        if (OwnFile.IsLink(paths.Target))
        {
            throw new TransferException(
                TransferErrorKind.TargetExists,
                $"'{paths.Target}' is a symbolic link, and -Resume does not continue a file through a link. Give the file it points to as -OutFile " +
                "to continue that file, or use -Force to replace the link with the downloaded file.");
        }
    }

    /// <summary>A state for a download from byte 0 of the version <paramref name="identity"/> (not yet saved).</summary>
    public DownloadState NewState(RemoteIdentity identity, bool supportsRanges, Uri displayUri)
    {
        var now = timeProvider.GetUtcNow();
        var state = new DownloadState
        {
            Uri = DownloadStateStore.DisplayString(displayUri),
            UriHash = DownloadStateStore.HashUri(request.Uri),
            AddressHash = DownloadStateStore.HashAddress(request.Uri),
            SupportsRanges = supportsRanges,
            Segments = FreshSegments(identity.Length),
            Created = now,
            Updated = now,
        };
        state.SetIdentity(identity);
        return state;
    }

    /// <summary>One segment covering the file (open-ended when the length is unknown; none for an empty file).</summary>
    public static List<DownloadStateSegment> FreshSegments(long? length) => length switch
    {
        0 => new List<DownloadStateSegment>(),
        { } known => new List<DownloadStateSegment> { new() { Start = 0, End = known, Next = 0 } },
        null => new List<DownloadStateSegment> { new() { Start = 0, End = null, Next = 0 } },
    };

    public DownloadPlan Plan(SourceProbe probe, Uri displayUri)
    {
        if (request.ExistingTarget != ExistingTargetPolicy.Resume)
        {
            // Fail found nothing; Overwrite discards part and state (the old target stays until the final rename).
            return StartFresh(probe, displayUri, restarted: false);
        }

        var saved = store.Load();
        if (saved is not null)
        {
            return PlanFromState(saved, probe, displayUri);
        }

        if (File.Exists(paths.Part))
        {
            // Without its state nothing says which bytes of the (pre-sized) part file were ever written.
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"Found '{paths.Part}' without its state file '{paths.State}', so which of its bytes are valid is unknown; downloading from the start.");
            return StartFresh(probe, displayUri, restarted: true);
        }

        if (File.Exists(paths.Target))
        {
            return PlanFromExistingTarget(probe, displayUri);
        }

        return StartFresh(probe, displayUri, restarted: false);
    }

    private DownloadPlan PlanFromState(DownloadState saved, SourceProbe probe, Uri displayUri)
    {
        if (!DownloadStateStore.RecordsUri(saved.UriHash, request.Uri))
        {
            if (!IsSameFileUnderNewQuery(saved, probe))
            {
                throw new TransferException(
                    TransferErrorKind.InvalidState,
                    $"The partial download of '{paths.Target}' was started from another address ({saved.Uri}, or the same with another query string " +
                    "and no strong ETag or Last-Modified to prove it is the same file). " +
                    "Run with -Force to discard it and download this address, or choose another output path.");
            }

            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"The address's query string differs from the one the partial download of '{paths.Target}' was started with (a newly signed URL?); " +
                "the server's validators show the same file, so it continues.");
        }

        saved.UriHash = DownloadStateStore.HashUri(request.Uri);

        var savedBytes = BytesOnDisk(saved);
        if (!File.Exists(paths.Part))
        {
            if (IsComplete(saved) && File.Exists(paths.Target) && new FileInfo(paths.Target).Length == saved.Length)
            {
                // An earlier run renamed the part file onto the target and stopped before deleting the state.
                observer.OnMessage(TransferMessageLevel.Verbose, $"'{paths.Target}' was already completed by an earlier run; removing its leftover state file.");
                store.Delete();
                return DownloadPlan.AlreadyComplete(saved.Length ?? 0);
            }

            if (savedBytes > 0)
            {
                observer.OnMessage(TransferMessageLevel.Warning, $"The part file '{paths.Part}' is missing, so the {savedBytes} bytes its state records are lost; downloading from the start.");
            }

            return StartFresh(probe, displayUri, restarted: savedBytes > 0);
        }

        var partLength = new FileInfo(paths.Part).Length;
        var needed = HighestWrittenOffset(saved);
        if (partLength < needed)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"The part file '{paths.Part}' is shorter ({partLength} bytes) than its state records ({needed} bytes); downloading from the start.");
            return StartFresh(probe, displayUri, restarted: true);
        }

        var savedIdentity = saved.ToIdentity();
        if (!probe.Identity.IsSameVersionAs(savedIdentity))
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"The remote file changed since the partial download was saved ({RemoteChangeDescription.Describe(savedIdentity, probe.Identity)}); starting over.");
            return StartFresh(probe, displayUri, restarted: savedBytes > 0);
        }

        if (savedBytes > 0 && !probe.SupportsRanges && !IsComplete(saved))
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                "The server does not accept byte ranges now, so the partial download cannot be continued; downloading from the start with one connection.");
            return StartFresh(probe, displayUri, restarted: true);
        }

        if (savedBytes > 0 && !savedIdentity.HasValidator && !probe.Identity.HasValidator)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                "The server sends neither a strong ETag nor a reliable Last-Modified, so it cannot be proven that the remote file is unchanged since the partial download; continuing anyway. Give -ExpectedHash to verify the result.");
        }

        // The segments are laid out over the saved length; the probe may only add validators the saved state lacked.
        saved.SetIdentity(new RemoteIdentity(
            saved.Length,
            probe.Identity.ETag ?? saved.ETag,
            probe.Identity.LastModified ?? saved.LastModified,
            probe.Identity.LastModified is not null ? probe.Identity.LastModifiedIsStrong : saved.LastModifiedIsStrong));
        saved.SupportsRanges = probe.SupportsRanges;
        saved.Uri = DownloadStateStore.DisplayString(displayUri);
        saved.Updated = timeProvider.GetUtcNow();
        store.Save(saved);
        observer.OnMessage(TransferMessageLevel.Verbose, $"Resuming '{paths.Target}': {savedBytes} bytes already on disk.");
        return DownloadPlan.Continue(saved, savedBytes);
    }

    /// <summary>
    /// True when only the query of the address changed and a strong validator that both the state and the server
    /// have agrees (with the length): signed URLs expire and are renewed with a new query, and the bytes already on
    /// disk are still the file's. Without such a validator a different query may well be a different file.
    /// </summary>
    private bool IsSameFileUnderNewQuery(DownloadState saved, SourceProbe probe)
    {
        if (saved.AddressHash is null
            || !string.Equals(saved.AddressHash, DownloadStateStore.HashAddress(request.Uri), StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var before = saved.ToIdentity();
        var now = probe.Identity;
        if (before.Length != now.Length)
        {
            return false;
        }

        var sameETag = before.HasStrongETag && now.HasStrongETag && string.Equals(before.ETag, now.ETag, StringComparison.Ordinal);
        var sameDate = before.LastModified is { } a && now.LastModified is { } b && before.LastModifiedIsStrong && now.LastModifiedIsStrong && a == b;
        return sameETag || sameDate;
    }

    private DownloadPlan PlanFromExistingTarget(SourceProbe probe, Uri displayUri)
    {
        var localLength = new FileInfo(paths.Target).Length;
        var remoteLength = probe.Identity.Length;

        if (paths.NameFromRemote)
        {
            // The server or URL chose this name: the file there is the user's, not a partial copy of this download.
            throw new TransferException(
                TransferErrorKind.TargetExists,
                $"'{paths.Target}' already exists, and its name came from the server, so it is not known to be a partial copy of this download; it is left as it is. " +
                "Use -Force to replace it, or give its full path as -OutFile to continue it as a prefix with -Resume.");
        }

        if (remoteLength == localLength)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"'{paths.Target}' already has the remote file's length ({localLength} bytes); treating it as complete. " +
                (request.ExpectedHash is null ? "Its content could not be checked against the server; give -ExpectedHash to verify it." : "Checking it against -ExpectedHash."));
            return DownloadPlan.AlreadyComplete(localLength);
        }

        if (remoteLength is null || !probe.SupportsRanges)
        {
            // Downloading it again would replace the user's file, which -Resume did not ask for.
            throw new TransferException(
                TransferErrorKind.RangeNotSupported,
                $"'{paths.Target}' exists but the server {(remoteLength is null ? "does not say the file's length" : "does not accept byte ranges")}, so it cannot be continued; it is left as it is. " +
                "Use -Force to download the whole file again and replace it.");
        }

        if (localLength > remoteLength)
        {
            throw new TransferException(
                TransferErrorKind.TargetExists,
                $"'{paths.Target}' ({localLength} bytes) is longer than the remote file ({remoteLength} bytes), so it is not a partial copy of it. Use -Force to replace it.");
        }

        // Continue it as a prefix, like curl -C -: record the state first, then make the target the part file,
        // so a crash in between leaves the target untouched.
        var state = NewState(probe.Identity, probe.SupportsRanges, displayUri);
        state.Segments[0].Next = localLength;
        store.Save(state);
        File.Move(paths.Target, paths.Part);
        observer.OnMessage(
            TransferMessageLevel.Warning,
            $"Continuing the existing '{paths.Target}' from byte {localLength} as a prefix of the remote file (like curl -C -). " +
            "Its existing bytes cannot be checked against the server; give -ExpectedHash to verify the result.");
        return DownloadPlan.Continue(state, localLength);
    }

    private DownloadPlan StartFresh(SourceProbe probe, Uri displayUri, bool restarted)
    {
        var state = NewState(probe.Identity, probe.SupportsRanges, displayUri);
        if (store.Exists)
        {
            // An old state counts bytes of the part file that the fresh run truncates: replace it before that.
            store.Save(state);
        }

        // else the first checkpoint writes it. A state that claims nothing protects nothing: until then a part file
        // without state is downloaded from the start, which is all this state would allow. A download that ends
        // before its first checkpoint (most small files) never writes one: two fsyncs, a rename and a delete less.
        return DownloadPlan.Fresh(state, restarted);
    }

    private static long BytesOnDisk(DownloadState state)
    {
        long total = 0;
        foreach (var segment in state.Segments)
        {
            total += segment.Next - segment.Start;
        }

        return total;
    }

    private static long HighestWrittenOffset(DownloadState state)
    {
        long highest = 0;
        foreach (var segment in state.Segments)
        {
            if (segment.Next > segment.Start && segment.Next > highest)
            {
                highest = segment.Next;
            }
        }

        return highest;
    }

    private static bool IsComplete(DownloadState state) =>
        state.Length is not null && state.Segments.TrueForAll(s => s.End is { } end && s.Next == end);
}
