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
        var key = $"whole/{connections}.bin";
        var length = (33 * MiB) + 1;
        var sha = await PutAsync(key, length, seed: 10 + connections);
        var target = Dir.File($"whole-{connections}.bin");

        var result = await Engine().DownloadAsync(Request(key, target, connections), 1, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.Equal(length, result.BytesDownloaded);
        Assert.Equal(connections, result.Connections);
    }

    [Fact]
    public async Task AnObjectOverwrittenDuringTheDownloadIsDetectedAndStartedOver()
    {
        var key = "overwrite/during.bin";
        var length = 24 * MiB;
        await PutAsync(key, length, seed: 20);
        var target = Dir.File("during.bin");
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Content(length, seed: 21)));

        var result = await Engine(s => new WatchedByteSource(s)
        {
            BeforeOpen = (2, async () => await PutAsync(key, length, seed: 21)),
        }).DownloadAsync(Request(key, target, 3), 1, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.True(result.Restarted);
        Assert.Contains(Observer.Warnings, m => m.Contains("the remote file changed", StringComparison.Ordinal));
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
