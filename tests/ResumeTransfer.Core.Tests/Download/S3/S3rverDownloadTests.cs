using Amazon.S3;
using Amazon.S3.Model;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>
/// s3:// downloads against s3rver 3.7.1, the second S3-compatible server: whole objects over 1 and 4 connections with the
/// shared client settings (checksums only when required), an overwrite during the download, a missing key, and a
/// presigned https-style URL of it downloaded through the HTTP source.
/// </summary>
public sealed class S3rverDownloadTests : S3DownloadTestBase<S3rverPeer>
{
    public S3rverDownloadTests(S3rverPeer peer)
        : base(peer, "rt-s3dl-s3rver")
    {
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task DownloadsTheWholeObject(int connections)
    {
        var ranges = await DownloadWholeAsync($"whole/{connections}.bin", (33 * MiB) + 1, seed: 10 + connections, connections);
        Assert.Equal(connections, ranges.Count);
    }

    [Fact]
    public async Task DownloadsAnEmptyObject()
    {
        var ranges = await DownloadWholeAsync("empty/zero.bin", 0, seed: 90, connections: 4);
        Assert.Empty(ranges);
    }

    [Fact]
    public async Task AnObjectOverwrittenDuringTheDownloadIsDetectedAndStartedOver()
    {
        await OverwriteDuringDownloadAsync("overwrite/during.bin", connections: 3, seed: 20);
    }

    [Fact]
    public async Task AMissingKeyIsNotFound()
    {
        var target = Dir.File("missing.bin");
        var error = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request("no/such.bin", target, 1), 1, CancellationToken.None));
        Assert.Equal(TransferErrorKind.NotFound, error.Kind);
        Assert.Contains("no object with this key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APresignedUrlDownloadsThroughTheHttpSource()
    {
        var key = "presigned/object.bin";
        var length = (9 * MiB) + 3;
        var sha = await PutAsync(key, length, seed: 30);
        var url = await Peer.Client.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = S3Peer.Bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Protocol = Protocol.HTTP,
            Expires = DateTime.UtcNow.AddMinutes(10),
        });
        Assert.Contains("X-Amz-Signature=", url, StringComparison.Ordinal);
        var target = Dir.File("presigned.bin");

        var result = await Engine().DownloadAsync(
            new DownloadRequest { Uri = new Uri(url), OutputPath = target, Connections = 4, ComputeHash = true, MaxRetries = 1 },
            1,
            CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.Equal(sha, result.Hash);
        Assert.Equal(4, result.Connections);
    }
}
