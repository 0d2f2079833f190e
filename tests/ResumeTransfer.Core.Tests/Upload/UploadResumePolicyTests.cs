using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>The resume decision as a table: state file, policy, source, protocol and target, -Uri, server -> what to do.</summary>
public sealed class UploadResumePolicyTests
{
    private const string Endpoint = "http://127.0.0.1:1080/files/";
    private static readonly SourceFingerprint Fingerprint = new(100, new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc), "head", "tail");
    private static readonly UploadSource Source = new("/data/a.bin", Fingerprint);

    public enum Recorded
    {
        None,
        Same,
        ForeignPort,
        ForeignHost,
        ForeignScheme,
        NotAnAddress,
        OtherProtocol,
        OtherTarget,
        ChangedSource,
        NoUploadUrl,
    }

    // state file, policy, what the server says, -> action, abort first, messages (V = verbose, W = warning), failure kind
    public static TheoryData<Recorded, ExistingUploadPolicy, string, string, bool, string, TransferErrorKind?> Cases => new()
    {
        { Recorded.None, ExistingUploadPolicy.Fail, "NotAsked", "StartNew", false, "", null },
        { Recorded.None, ExistingUploadPolicy.Resume, "NotAsked", "StartNew", false, "", null },
        { Recorded.Same, ExistingUploadPolicy.Fail, "NotAsked", "Fail", false, "", TransferErrorKind.TargetExists },
        { Recorded.ForeignHost, ExistingUploadPolicy.Fail, "NotAsked", "Fail", false, "", TransferErrorKind.TargetExists },
        { Recorded.Same, ExistingUploadPolicy.Resume, "NotAsked", "AskServer", false, "", null },
        { Recorded.Same, ExistingUploadPolicy.Resume, "HoldsIt", "Continue", false, "", null },
        { Recorded.Same, ExistingUploadPolicy.Resume, "Gone", "Restart", false, "W", null },
        { Recorded.NoUploadUrl, ExistingUploadPolicy.Resume, "NotAsked", "AskServer", false, "", null },
        { Recorded.ForeignPort, ExistingUploadPolicy.Resume, "NotAsked", "Restart", false, "W", null },
        { Recorded.ForeignHost, ExistingUploadPolicy.Resume, "NotAsked", "Restart", false, "W", null },
        { Recorded.ForeignScheme, ExistingUploadPolicy.Resume, "NotAsked", "Restart", false, "W", null },
        { Recorded.NotAnAddress, ExistingUploadPolicy.Resume, "NotAsked", "Restart", false, "W", null },
        { Recorded.ForeignHost, ExistingUploadPolicy.Overwrite, "NotAsked", "Restart", false, "W", null },
        { Recorded.Same, ExistingUploadPolicy.Overwrite, "NotAsked", "Restart", true, "V", null },
        { Recorded.OtherProtocol, ExistingUploadPolicy.Overwrite, "NotAsked", "Restart", false, "VW", null },
        { Recorded.OtherProtocol, ExistingUploadPolicy.Resume, "NotAsked", "Fail", false, "", TransferErrorKind.InvalidState },
        { Recorded.OtherTarget, ExistingUploadPolicy.Resume, "NotAsked", "Fail", false, "", TransferErrorKind.InvalidState },
        { Recorded.ChangedSource, ExistingUploadPolicy.Resume, "NotAsked", "Restart", true, "W", null },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides(Recorded recorded, ExistingUploadPolicy policy, string server, string action, bool abort, string messages, TransferErrorKind? failure)
    {
        // The decision's types are internal, so the table names them.
        var answer = Enum.Parse<ServerAnswer>(server);
        var facts = new ResumeFacts(State(recorded), "/data/a.bin.rtupload", Source, policy, UploadProtocolKind.Tus, Endpoint, new Uri(Endpoint), answer);

        var decision = UploadResumePolicy.Decide(facts);

        Assert.Equal(Enum.Parse<ResumeAction>(action), decision.Action);
        Assert.Equal(abort, decision.AbortPrevious);
        Assert.Equal(messages, string.Concat(decision.Messages.Select(m => m.Level == TransferMessageLevel.Warning ? "W" : "V")));
        Assert.Equal(failure, decision.Action == ResumeAction.Fail ? decision.FailureKind : (TransferErrorKind?)null);
        if (failure is not null)
        {
            Assert.Contains("-Force", decision.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheForeignOriginWarningNamesBothOriginsAndNoUserInfo()
    {
        var facts = new ResumeFacts(
            State(Recorded.ForeignHost), "/data/a.bin.rtupload", Source, ExistingUploadPolicy.Resume, UploadProtocolKind.Tus, Endpoint, new Uri("http://me:secret@127.0.0.1:1080/files/"));

        var text = Assert.Single(UploadResumePolicy.Decide(facts).Messages).Text;

        Assert.Contains("http://evil.example:1080", text, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:1080", text, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UserInfoInTheUriIsTheSameOrigin()
    {
        var facts = new ResumeFacts(
            State(Recorded.Same), "/data/a.bin.rtupload", Source, ExistingUploadPolicy.Resume, UploadProtocolKind.Tus, Endpoint, new Uri("http://me:secret@127.0.0.1:1080/files/"));

        Assert.Equal(ResumeAction.AskServer, UploadResumePolicy.Decide(facts).Action);
    }

    private static UploadState? State(Recorded recorded)
    {
        if (recorded == Recorded.None)
        {
            return null;
        }

        var fingerprint = recorded == Recorded.ChangedSource ? Fingerprint with { TailSha256 = "other" } : Fingerprint;
        return new UploadState
        {
            Protocol = recorded == Recorded.OtherProtocol ? UploadProtocolKind.ChunkApi : UploadProtocolKind.Tus,
            Target = recorded == Recorded.OtherTarget ? "http://127.0.0.1:1080/other/" : Endpoint,
            SourcePath = Source.Path,
            Fingerprint = UploadState.FingerprintRecord.From(fingerprint),
            ChunkSize = 10,
            UploadId = recorded == Recorded.NoUploadUrl ? "s3-upload-id" : null,
            UploadUrl = recorded switch
            {
                Recorded.NoUploadUrl => null,
                Recorded.ForeignPort => "http://127.0.0.1:1081/files/abc",
                Recorded.ForeignHost => "http://evil.example:1080/files/abc",
                Recorded.ForeignScheme => "https://127.0.0.1:1080/files/abc",
                Recorded.NotAnAddress => "files/abc",
                _ => "http://127.0.0.1:1080/files/abc",
            },
        };
    }
}
