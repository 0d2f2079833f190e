using System.Net;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>
/// s3:// downloads against OpenStack Swift's s3api, the strict peer: whole objects over 1 and 4 connections, ranges on
/// the part boundaries of a multipart object, an object overwritten during a download (If-Match: 412) or between an
/// interruption and -Resume (started over, never spliced), resuming with only the missing bytes, and the error kinds of
/// a missing key or bucket and a wrong secret.
/// </summary>
public sealed class SwiftS3DownloadTests : S3DownloadTestBase<SwiftS3Peer>
{
    public SwiftS3DownloadTests(SwiftS3Peer peer)
        : base(peer, "rt-s3dl-swift")
    {
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task DownloadsTheWholeObject(int connections)
    {
        var length = (33 * MiB) + 5;
        var ranges = await DownloadWholeAsync($"whole/{connections}.bin", length, seed: connections, connections);

        // A single-part object: ranges of whole 8 MiB blocks (the last one takes what is left).
        Assert.Equal(connections, ranges.Count);
        Assert.All(ranges, r => Assert.Equal(0, r.Offset % S3ByteSourceMinimum));
        Assert.All(ranges.Where(r => r.End != length - 1), r => Assert.True(r.End - r.Offset + 1 >= S3ByteSourceMinimum, $"range {r.Offset}-{r.End}"));
    }

    [Fact]
    public async Task DownloadsAnEmptyObject()
    {
        var ranges = await DownloadWholeAsync("empty/zero.bin", 0, seed: 90, connections: 4);
        Assert.Empty(ranges);
    }

    [Fact]
    public async Task RangesOfAMultipartObjectStartOnItsPartBoundaries()
    {
        const long part = 5 * MiB;
        var length = (5 * part) + 3; // 6 parts, the last of 3 bytes
        var source = Dir.File("multipart-src.bin");
        await File.WriteAllBytesAsync(source, Content(length, seed: 77));
        var key = "multipart/object.bin";
        using (var http = Core.Transfer.TransferHttpClientFactory.Create(2))
        {
            var upload = new UploadRequest
            {
                Path = source,
                Uri = new Uri($"s3://{S3Peer.Bucket}/{key}"),
                Protocol = UploadProtocolKind.S3,
                Endpoint = Peer.Endpoint,
                Credential = Peer.Credential,
                ChunkSize = part,
                Connections = 2,
            };
            var uploaded = await new UploadEngine(http, TimeProvider.System, NullTransferObserver.Instance) { PerUserStateFolder = Dir.File("per-user") }
                .UploadAsync(upload, 1, CancellationToken.None);
            Assert.EndsWith("-6\"", uploaded.ETag, StringComparison.Ordinal);
        }

        var target = Dir.File("multipart.bin");
        WatchedByteSource? watched = null;
        var result = await Engine(s => watched = new WatchedByteSource(s)).DownloadAsync(Request(key, target, 4), 1, CancellationToken.None);

        Assert.Equal(Sha256Of(source), Sha256Of(target));
        Assert.Equal(4, result.Connections);
        // Swift's s3api answers HEAD ?partNumber=1 with 405: the part size comes from the ETag's "-6" and the length.
        Assert.True(Observer.Verbose.Any(m => m.Contains("stored in 6 parts of 5242880 bytes (estimated from its ETag): ranges start on part boundaries", StringComparison.Ordinal)), Observer.ToString());
        var ranges = watched!.Ranges;
        Assert.True(ranges.Count >= 4, string.Join(", ", ranges));
        Assert.All(ranges, r => Assert.Equal(0, r.Offset % part));
        Assert.All(ranges.Where(r => r.End != length - 1), r => Assert.Equal(part - 1, r.End % part));
    }

    [Fact]
    public async Task AnObjectOverwrittenDuringAMultiConnectionDownloadIsDetectedAndStartedOver()
    {
        // Replaced by an object of the same length: only If-Match can tell, and Swift answers it with 412.
        var watched = await OverwriteDuringDownloadAsync("overwrite/during.bin", connections: 4, seed: 1);

        Assert.Contains(Observer.Verbose, m => m.Contains("was overwritten during the download", StringComparison.Ordinal));
        Assert.True(watched.Ranges.Count > 4);
    }

    [Fact]
    public async Task ResumesAnInterruptedDownloadWithOnlyTheMissingBytes()
    {
        var key = "resume/object.bin";
        var length = (20 * MiB) + 17;
        var sha = await PutAsync(key, length, seed: 3);
        var target = Dir.File("resume.bin");
        await InterruptAsync(key, target, afterBytes: 6 * MiB);
        Assert.True(File.Exists(target + ".rtstate"));

        var result = await Engine().DownloadAsync(Request(key, target, 2, ExistingTargetPolicy.Resume), 2, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.False(result.Restarted);
        Assert.True(result.BytesResumed >= 4 * MiB, $"resumed {result.BytesResumed}");
        Assert.Equal(length - result.BytesResumed, result.BytesDownloaded);
    }

    [Fact]
    public async Task AnObjectOverwrittenBetweenInterruptionAndResumeIsStartedOverNeverSpliced()
    {
        var key = "overwrite/between.bin";
        var length = 16 * MiB;
        await PutAsync(key, length, seed: 4);
        var target = Dir.File("between.bin");
        await InterruptAsync(key, target, afterBytes: 5 * MiB);
        var sha = await PutAsync(key, length, seed: 5); // same length: the ETag tells

        var result = await Engine().DownloadAsync(Request(key, target, 2, ExistingTargetPolicy.Resume), 2, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.True(result.Restarted);
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal(length, result.BytesDownloaded);
    }

    [Theory]
    [InlineData("missing", "no/such/key.bin", false, TransferErrorKind.NotFound, "no object with this key")]
    [InlineData("bucket", "x.bin", false, TransferErrorKind.NotFound, "the bucket does not exist")]
    [InlineData("secret", "x.bin", true, TransferErrorKind.AccessDenied, "refused the credentials")]
    public async Task MissingObjectsAndBadCredentialsFailWithTheirKindAndNoRetry(string name, string key, bool wrongSecret, TransferErrorKind kind, string says)
    {
        if (name == "secret")
        {
            await PutAsync(key, 10, seed: 6);
        }

        var target = Dir.File($"error-{name}.bin");
        var request = Request(key, target, 2) with { MaxRetries = 3 };
        if (name == "bucket")
        {
            request = request with { Uri = new Uri("s3://no-such-bucket-here/x.bin") };
        }

        if (wrongSecret)
        {
            request = request with { Credential = new NetworkCredential(Peer.AccessKey, "not-the-secret") };
        }

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(request, 1, CancellationToken.None));

        Assert.Equal(kind, error.Kind);
        Assert.IsNotType<TransientTransferException>(error);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Observer.Messages, m => m.Text.Contains("retrying in", StringComparison.Ordinal));
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".rtpart"));
    }

    private static long S3ByteSourceMinimum => Core.Download.Sources.S3.S3ByteSource.UnpartedMinimumBytes;

    /// <summary>Downloads with 2 connections and cancels once <paramref name="afterBytes"/> arrived: the state is saved for -Resume.</summary>
    private async Task InterruptAsync(string key, string target, long afterBytes)
    {
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine(s => new WatchedByteSource(s) { CancelWhenDelivered = cancel, CancelAfterBytes = afterBytes })
            .DownloadAsync(Request(key, target, 2), 1, cancel.Token));
        Assert.True(File.Exists(target + ".rtpart"));
    }
}
