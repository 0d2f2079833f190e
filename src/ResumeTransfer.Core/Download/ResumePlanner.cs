using System;
using System.Collections.Generic;
using System.IO;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Applies the existing-files policy: reads the target, part file and state file, lets <see cref="ResumeDecision"/>
/// decide whether to continue, start over or stop, and leaves on disk the state file the run starts from (a fresh run's state is written by its first
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

    /// <summary>Reads the files beside the target, lets <see cref="ResumeDecision.Decide"/> choose, and carries the choice out.</summary>
    public DownloadPlan Plan(SourceProbe probe, Uri displayUri)
    {
        var resume = request.ExistingTarget == ExistingTargetPolicy.Resume;
        var saved = resume ? store.Load() : null;
        var facts = new ResumeFacts
        {
            Policy = request.ExistingTarget,
            Saved = saved,
            SavedRecordsThisAddress = saved is not null && DownloadStateStore.RecordsUri(saved.UriHash, request.Uri),
            SavedRecordsThisAddressWithoutQuery = saved is not null && DownloadStateStore.RecordsAddress(saved.AddressHash, request.Uri),
            PartLength = resume ? LengthOf(paths.Part) : null,
            TargetLength = resume ? LengthOf(paths.Target) : null,
            NameFromRemote = paths.NameFromRemote,
            ExpectedHashGiven = request.ExpectedHash is not null,
            Remote = probe.Identity,
            RemoteSupportsRanges = probe.SupportsRanges,
            Paths = paths,
        };

        var decision = ResumeDecision.Decide(facts);
        foreach (var warning in decision.Warnings)
        {
            observer.OnMessage(TransferMessageLevel.Warning, warning);
        }

        switch (decision.Action)
        {
            case ResumeAction.ContinueFromState:
                return ContinueFromState(saved!, probe, displayUri, decision.ResumedBytes);
            case ResumeAction.CompletedByEarlierRun:
                observer.OnMessage(TransferMessageLevel.Verbose, $"'{paths.Target}' was already completed by an earlier run; removing its leftover state file.");
                store.Delete();
                return DownloadPlan.AlreadyComplete(decision.ResumedBytes);
            case ResumeAction.TargetIsComplete:
                return DownloadPlan.AlreadyComplete(decision.ResumedBytes);
            case ResumeAction.ContinueTargetAsPrefix:
                return ContinueTargetAsPrefix(probe, displayUri, decision.ResumedBytes);
            default:
                return StartFresh(probe, displayUri, decision.Restarted);
        }
    }

    private static long? LengthOf(string path) => File.Exists(path) ? new FileInfo(path).Length : null;

    private DownloadPlan ContinueFromState(DownloadState saved, SourceProbe probe, Uri displayUri, long savedBytes)
    {
        // The segments are laid out over the saved length; the probe may only add validators the saved state lacked.
        saved.SetIdentity(new RemoteIdentity(
            saved.Length,
            probe.Identity.ETag ?? saved.ETag,
            probe.Identity.LastModified ?? saved.LastModified,
            probe.Identity.LastModified is not null ? probe.Identity.LastModifiedIsStrong : saved.LastModifiedIsStrong));
        saved.SupportsRanges = probe.SupportsRanges;
        saved.UriHash = DownloadStateStore.HashUri(request.Uri);
        saved.Uri = DownloadStateStore.DisplayString(displayUri);
        saved.Updated = timeProvider.GetUtcNow();
        store.Save(saved);
        observer.OnMessage(TransferMessageLevel.Verbose, $"Resuming '{paths.Target}': {savedBytes} bytes already on disk.");
        return DownloadPlan.Continue(saved, savedBytes);
    }

    private DownloadPlan ContinueTargetAsPrefix(SourceProbe probe, Uri displayUri, long localLength)
    {
        // Record the state first, then make the target the part file, so a crash in between leaves the target untouched.
        var state = NewState(probe.Identity, probe.SupportsRanges, displayUri);
        state.Segments[0].Next = localLength;
        store.Save(state);
        File.Move(paths.Target, paths.Part);
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
}
