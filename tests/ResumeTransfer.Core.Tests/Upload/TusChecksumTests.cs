using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// tus Upload-Checksum against the project's own checksum layer in front of @tus/server (which has no checksum
/// extension): every PATCH carries a correct sha1, and a 460 answer makes the client send that chunk again.
/// </summary>
public sealed class TusChecksumTests : IClassFixture<TusChecksumPeer>, IDisposable
{
    private const long Chunk = 256 * 1024;

    private readonly TusChecksumPeer peer;
    private readonly TempDir dir = new("rt-tus-sum");
    private readonly HttpClient client = TransferHttpClientFactory.Create(1);

    public TusChecksumTests(TusChecksumPeer peer)
    {
        this.peer = peer;
    }

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task ChunksCarrySha1AndRejectedChunksAreSentAgain()
    {
        var length = (3 * Chunk) + 1;
        var path = SourceFiles.Create(dir.File("checked.bin"), length);
        var observer = new UploadTestObserver();
        var request = new UploadRequest
        {
            Path = path,
            Uri = peer.Endpoint,
            Protocol = UploadProtocolKind.Tus,
            ChunkSize = Chunk,
            MaxRetries = 3,
            RetryInterval = TimeSpan.FromMilliseconds(20),
        };

        var result = await new UploadEngine(client, TimeProvider.System, observer).UploadAsync(request, 1, CancellationToken.None);

        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        var patches = peer.LogFor(result.UploadUrl!).Where(line => line.Method == "PATCH").ToList();
        Assert.All(patches, line => Assert.StartsWith("sha1 ", line.Checksum, StringComparison.Ordinal));
        Assert.Equal(TusChecksumPeer.InjectedRejections, patches.Count(line => line.Status == 460));
        Assert.Equal(4, patches.Count(line => line.Status == 204));
        Assert.Equal(length, result.BytesSent);
        Assert.Contains(observer.Messages, m => m.Text.Contains("checksums sha1", StringComparison.Ordinal));
    }
}
