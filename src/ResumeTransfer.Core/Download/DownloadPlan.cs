
namespace ResumeTransfer.Core.Download;

/// <summary>Where a run starts, as decided by <see cref="ResumePlanner"/> from the files beside the target.</summary>
internal sealed class DownloadPlan
{
    private DownloadPlan(DownloadState? state, bool freshPart, long resumedBytes, bool restarted, bool targetComplete)
    {
        State = state;
        FreshPart = freshPart;
        ResumedBytes = resumedBytes;
        Restarted = restarted;
        TargetComplete = targetComplete;
    }

    /// <summary>The saved state to run with (already on disk); null when <see cref="TargetComplete"/>.</summary>
    public DownloadState? State { get; }

    /// <summary>True when the part file must be created empty; false when its bytes are to be continued.</summary>
    public bool FreshPart { get; }

    /// <summary>Bytes kept from earlier runs.</summary>
    public long ResumedBytes { get; }

    /// <summary>True when earlier partial data was discarded.</summary>
    public bool Restarted { get; }

    /// <summary>True when the target already holds the whole file: nothing to fetch.</summary>
    public bool TargetComplete { get; }

    public static DownloadPlan Fresh(DownloadState state, bool restarted) => new(state, true, 0, restarted, false);

    public static DownloadPlan Continue(DownloadState state, long resumedBytes) => new(state, false, resumedBytes, false, false);

    public static DownloadPlan AlreadyComplete(long length) => new(null, false, length, false, true);
}
