using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>The existing-files policy as a table: what is on disk and what the server says -> what the planner does.</summary>
public sealed class ResumeDecisionTests
{
    private const long Length = 1000;
    private static readonly RemoteIdentity Strong = new(Length, "\"v1\"", null, false);

    // The types are internal: each row is named in the theory and looked up here.
    private static readonly Dictionary<string, (ResumeFacts Facts, ResumeAction Action, long Resumed, bool Restarted, string? Warning)> Decisions = new()
    {
        ["-Force ignores everything"] = (Facts(ExistingTargetPolicy.Overwrite, Saved(400), part: Length, target: 5), ResumeAction.StartFresh, 0, false, null),
        ["nothing on disk"] = (Facts(), ResumeAction.StartFresh, 0, false, null),
        ["part without state"] = (Facts(part: 300), ResumeAction.StartFresh, 0, true, "without its state file"),
        ["state and part agree"] = (Facts(saved: Saved(400), part: Length), ResumeAction.ContinueFromState, 400, false, null),
        ["newly signed query, same strong ETag"] = (Facts(saved: Saved(400), part: Length, sameQuery: false), ResumeAction.ContinueFromState, 400, false, "query string differs"),
        ["complete state, renamed target"] = (Facts(saved: Saved(Length), target: Length), ResumeAction.CompletedByEarlierRun, Length, false, null),
        ["state without its part"] = (Facts(saved: Saved(400)), ResumeAction.StartFresh, 0, true, "is missing"),
        ["empty state without its part"] = (Facts(saved: Saved(0)), ResumeAction.StartFresh, 0, false, null),
        ["part shorter than its state"] = (Facts(saved: Saved(400), part: 399), ResumeAction.StartFresh, 0, true, "is shorter"),
        ["remote changed"] = (Facts(saved: Saved(400), part: Length, remote: Strong with { ETag = "\"v2\"" }), ResumeAction.StartFresh, 0, true, "changed"),
        ["ranges no longer served"] = (Facts(saved: Saved(400), part: Length, ranges: false), ResumeAction.StartFresh, 0, true, "does not accept byte ranges"),
        ["no validator anywhere"] = (Facts(saved: Saved(400, new RemoteIdentity(Length, null, null, false)), part: Length, remote: new RemoteIdentity(Length, null, null, false)), ResumeAction.ContinueFromState, 400, false, "neither a strong ETag"),
        ["target of the remote length"] = (Facts(target: Length), ResumeAction.TargetIsComplete, Length, false, "treating it as complete"),
        ["target shorter than the remote"] = (Facts(target: 250), ResumeAction.ContinueTargetAsPrefix, 250, false, "as a prefix"),
    };

    private static readonly Dictionary<string, (ResumeFacts Facts, TransferErrorKind Kind)> Refused = new()
    {
        ["another address"] = (Facts(saved: Saved(400), part: Length, sameQuery: false, sameAddress: false), TransferErrorKind.InvalidState),
        ["another query, weak ETag only"] = (Facts(saved: Saved(400, Strong with { ETag = "W/\"v1\"" }), part: Length, sameQuery: false, remote: Strong with { ETag = "W/\"v1\"" }), TransferErrorKind.InvalidState),
        ["another query, other length"] = (Facts(saved: Saved(400), part: Length, sameQuery: false, remote: Strong with { Length = Length + 1 }), TransferErrorKind.InvalidState),
        ["target named by the server"] = (Facts(target: 250, nameFromRemote: true), TransferErrorKind.TargetExists),
        ["target longer than the remote"] = (Facts(target: Length + 1), TransferErrorKind.TargetExists),
        ["target, server without ranges"] = (Facts(target: 250, ranges: false), TransferErrorKind.RangeNotSupported),
        ["target, server without a length"] = (Facts(target: 250, remote: Strong with { Length = null }), TransferErrorKind.RangeNotSupported),
    };

    public static TheoryData<string> Rows => new(Decisions.Keys);

    public static TheoryData<string> Refusals => new(Refused.Keys);

    [Theory]
    [MemberData(nameof(Rows))]
    public void Decides(string row)
    {
        var (facts, action, resumed, restarted, warning) = Decisions[row];
        var decision = ResumeDecision.Decide(facts);

        Assert.True(action == decision.Action, $"{row}: {decision.Action}");
        Assert.Equal(resumed, decision.ResumedBytes);
        Assert.Equal(restarted, decision.Restarted);
        if (warning is null)
        {
            Assert.Empty(decision.Warnings);
        }
        else
        {
            Assert.Contains(decision.Warnings, w => w.Contains(warning, StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public void Refuses(string row)
    {
        var (facts, kind) = Refused[row];
        var failure = Assert.Throws<TransferException>(() => ResumeDecision.Decide(facts));

        Assert.True(kind == failure.Kind, $"{row}: {failure.Kind}");
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
    }

    private static ResumeFacts Facts(
        ExistingTargetPolicy policy = ExistingTargetPolicy.Resume,
        DownloadState? saved = null,
        long? part = null,
        long? target = null,
        bool sameQuery = true,
        bool sameAddress = true,
        bool ranges = true,
        bool nameFromRemote = false,
        RemoteIdentity? remote = null) => new()
    {
        Policy = policy,
        Saved = saved,
        SavedRecordsThisAddress = saved is not null && sameQuery,
        SavedRecordsThisAddressWithoutQuery = saved is not null && sameAddress,
        PartLength = part,
        TargetLength = target,
        NameFromRemote = nameFromRemote,
        Remote = remote ?? Strong,
        RemoteSupportsRanges = ranges,
        Paths = TargetPaths.ForFile("/data/file.bin"),
    };

    /// <summary>A state over two segments of <see cref="Length"/> with <paramref name="onDisk"/> bytes written from the start of the first.</summary>
    private static DownloadState Saved(long onDisk, RemoteIdentity? identity = null)
    {
        var state = new DownloadState
        {
            Uri = "http://h/file.bin",
            Segments = new List<DownloadStateSegment>
            {
                new() { Start = 0, End = Length / 2, Next = Math.Min(onDisk, Length / 2) },
                new() { Start = Length / 2, End = Length, Next = Length / 2 + Math.Max(0, onDisk - (Length / 2)) },
            },
        };
        state.SetIdentity(identity ?? Strong);
        return state;
    }
}
