using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.Tus;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// A planted (or carried along) <c>.rtupload</c> whose upload URL is on another origin than -Uri must not send the file
/// there: the tus upload goes to the -Uri's server (@tus/server), and the other origin (the test server, which logs
/// every request) hears nothing, not even an abort.
/// </summary>
public sealed class PlantedStateTests : IClassFixture<TusPeer>, IClassFixture<TestServerFixture>, IDisposable
{
    private readonly TusPeer peer;
    private readonly TestServerFixture elsewhere;
    private readonly TempDir dir = new("rt-planted");
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);

    public PlantedStateTests(TusPeer peer, TestServerFixture elsewhere)
    {
        this.peer = peer;
        this.elsewhere = elsewhere;
    }

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Theory]
    [InlineData(ExistingUploadPolicy.Resume, false)]
    [InlineData(ExistingUploadPolicy.Resume, true)]
    [InlineData(ExistingUploadPolicy.Overwrite, false)]
    public async Task AnUploadUrlOnAnotherOriginIsNeverContacted(ExistingUploadPolicy policy, bool otherHost)
    {
        var tag = TestTags.New();
        var foreign = otherHost
            ? new Uri(elsewhere.Server.OtherOriginUri, $"files/planted.bin?size=10&tag={tag}")
            : elsewhere.Url($"files/planted.bin?size=10&tag={tag}");
        var path = SourceFiles.Create(dir.File($"planted-{policy}-{otherHost}.bin"), 300 * 1024);
        var observer = new UploadTestObserver();
        var request = new UploadRequest
        {
            Path = path,
            Uri = peer.Endpoint,
            Protocol = UploadProtocolKind.Tus,
            ChunkSize = 256 * 1024,
            ExistingUpload = policy,
            MaxRetries = 0,
        };
        using var protocol = new TusProtocol(client, request, observer);
        Plant(path, protocol.Target, foreign);

        var result = await new UploadEngine(client, TimeProvider.System, observer) { PerUserStateFolder = dir.File("per-user") }
            .UploadAsync(request, protocol, 1, CancellationToken.None);

        Assert.Empty(elsewhere.Server.Log.ForTag(tag));
        Assert.True(HttpOrigin.IsSame(result.UploadUrl!, peer.Endpoint), $"uploaded to {result.UploadUrl}");
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        Assert.True(result.Restarted);
        var warning = Assert.Single(observer.Warnings);
        Assert.Contains(foreign.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped), warning, StringComparison.Ordinal);
        Assert.Contains(peer.Endpoint.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped), warning, StringComparison.Ordinal);
    }

    /// <summary>A state file that matches the source and the target in every way but the origin of its upload URL.</summary>
    private void Plant(string path, string target, Uri uploadUrl)
    {
        using var store = UploadStateStore.Open(path, dir.File("per-user"));
        store.Save(new UploadState
        {
            Protocol = UploadProtocolKind.Tus,
            Target = target,
            SourcePath = Path.GetFullPath(path),
            Fingerprint = UploadState.FingerprintRecord.From(SourceFingerprint.Compute(Path.GetFullPath(path))),
            UploadUrl = uploadUrl.AbsoluteUri,
            ChunkSize = 256 * 1024,
            AcknowledgedOffset = 0,
        });
    }
}
