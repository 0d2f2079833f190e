using System.Net;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>S3 multipart uploads against OpenStack Swift's s3api, the strict peer (real ListParts, Abort and errors).</summary>
public sealed class S3MultipartProtocolTests : S3UploadTestBase<SwiftS3Peer>
{
    public S3MultipartProtocolTests(SwiftS3Peer peer)
        : base(peer, "rt-s3-src")
    {
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(Part + 1)]
    public async Task UploadsFileExactly(long size)
    {
        var path = SourceFiles.Create(Dir.File($"size-{size}.bin"), size);
        var key = $"exact/{size}.bin";

        var result = await Engine(new UploadTestObserver()).UploadAsync(Request(path, key, ExistingUploadPolicy.Fail), 1, CancellationToken.None);

        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
        Assert.Equal(UploadProtocolKind.S3, result.Protocol);
        Assert.Equal(S3Peer.Bucket, result.Bucket);
        Assert.Equal(key, result.Key);
        Assert.Equal(size, result.BytesSent);
        Assert.EndsWith($"-{ChunkPlanner.CountFor(size, Part)}\"", result.ETag, StringComparison.Ordinal);
        Assert.False(File.Exists(path + UploadStateStore.Extension));
    }

    [Fact]
    public async Task UploadsPartsInParallelToPrefix()
    {
        var path = SourceFiles.Create(Dir.File("parallel.bin"), (16 * MiB) + 3);
        var request = Request(path, "backups/", ExistingUploadPolicy.Fail) with { Connections = 3 };

        var result = await Engine(new UploadTestObserver()).UploadAsync(request, 1, CancellationToken.None);

        Assert.Equal("backups/parallel.bin", result.Key);
        Assert.Equal(3, result.Connections);
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async("backups/parallel.bin"));
        var stored = await Peer.Client.GetObjectMetadataAsync(S3Peer.Bucket, "backups/parallel.bin");
        Assert.Equal(result.ETag, stored.ETag);
    }

    [Fact]
    public async Task Uploads64MiBInEightMiBPartsOverFourConnections()
    {
        const long part = 8 * MiB;
        var length = (64 * MiB) + 5;
        var path = SourceFiles.Create(Dir.File("large.bin"), length, seed: 7);
        var key = "large/large.bin";
        var request = Request(path, key, ExistingUploadPolicy.Fail) with { ChunkSize = part, Connections = 4 };

        var result = await Engine(new UploadTestObserver()).UploadAsync(request, 1, CancellationToken.None);

        Assert.Equal(length, result.Length);
        Assert.Equal(length, result.BytesSent);
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
        var expectedETag = $"\"{ExpectedMultipartETag(path, part)}\"";
        Assert.Equal(expectedETag, result.ETag);
        var stored = await Peer.Client.GetObjectMetadataAsync(S3Peer.Bucket, key);
        Assert.Equal(expectedETag, stored.ETag);
        Assert.Equal(length, stored.ContentLength);
        Assert.False(File.Exists(path + UploadStateStore.Extension));
    }

    [Fact]
    public async Task CancelledUploadResumesFromListedPartsSendingAtMostOnePartPerConnectionAgain()
    {
        const int connections = 2;
        var length = (6 * Part) + 11;
        var path = SourceFiles.Create(Dir.File("resume.bin"), length);
        var key = "resume/resume.bin";
        var request = Request(path, key, ExistingUploadPolicy.Resume) with { Connections = connections };

        var first = await UploadUntilCancelledAsync(request, (2 * Part) + (Part / 2), acknowledgedParts: 2);
        var state = ReadState(path);
        Assert.True(state.Parts.Count >= 2);
        var journalled = state.Parts.Sum(p => p.Length);

        var observer = new UploadTestObserver();
        using var protocol = new S3MultipartProtocol(request, observer) { ListPartsPageSize = 2 };
        var result = await Engine(observer).UploadAsync(request, protocol, 2, CancellationToken.None);

        Assert.Equal(state.UploadId, result.UploadId);
        Assert.False(result.Restarted);
        Assert.InRange(result.BytesSkipped, journalled, length);
        Assert.Equal(length, result.BytesSkipped + result.BytesSent);
        Assert.InRange(first.Transmitted + result.BytesSent - length, 0, connections * Part);
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
        Assert.Empty(observer.Warnings);
    }

    [Fact]
    public async Task WrongCredentialsAreAccessDeniedAndLoseNothing()
    {
        var path = SourceFiles.Create(Dir.File("denied.bin"), (3 * Part) + 1);
        var key = "denied/denied.bin";
        var request = Request(path, key, ExistingUploadPolicy.Resume);
        await UploadUntilCancelledAsync(request, Part + (Part / 2));
        var stateBefore = File.ReadAllText(path + UploadStateStore.Extension);
        var uploadId = ReadState(path).UploadId!;

        var wrong = request with { Credential = new NetworkCredential(Peer.AccessKey, "not-the-secret") };
        var error = await Assert.ThrowsAsync<TransferException>(() => Engine(new UploadTestObserver()).UploadAsync(wrong, 2, CancellationToken.None));

        Assert.Equal(TransferErrorKind.AccessDenied, error.Kind);
        Assert.Contains("-Credential", error.Message, StringComparison.Ordinal);
        Assert.Equal(stateBefore, File.ReadAllText(path + UploadStateStore.Extension));
        Assert.True(await Peer.UploadExistsAsync(key, uploadId));

        var result = await Engine(new UploadTestObserver()).UploadAsync(request, 3, CancellationToken.None);
        Assert.Equal(uploadId, result.UploadId);
        Assert.True(result.BytesSkipped >= Part);
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
    }

    [Fact]
    public async Task ChangedSourceAbortsOldUploadAndStartsNew()
    {
        var path = SourceFiles.Create(Dir.File("changed.bin"), (3 * Part) + 1, seed: 1);
        var key = "changed/changed.bin";
        var request = Request(path, key, ExistingUploadPolicy.Resume);
        await UploadUntilCancelledAsync(request, Part + (Part / 2));
        var oldId = ReadState(path).UploadId!;
        SourceFiles.Create(path, (3 * Part) + 1, seed: 2);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.True(result.Restarted);
        Assert.NotEqual(oldId, result.UploadId);
        Assert.Equal(0, result.BytesSkipped);
        Assert.Contains(observer.Warnings, w => w.Contains("changed since its upload", StringComparison.Ordinal));
        Assert.False(await Peer.UploadExistsAsync(key, oldId));
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
    }

    [Fact]
    public async Task AbortedUploadOnServerStartsOverWithWarning()
    {
        var path = SourceFiles.Create(Dir.File("aborted.bin"), (2 * Part) + 1);
        var key = "aborted/aborted.bin";
        var request = Request(path, key, ExistingUploadPolicy.Resume);
        await UploadUntilCancelledAsync(request, Part / 2);
        var oldId = ReadState(path).UploadId!;
        await Peer.Client.AbortMultipartUploadAsync(S3Peer.Bucket, key, oldId);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.True(result.Restarted);
        Assert.NotEqual(oldId, result.UploadId);
        Assert.Contains(observer.Warnings, w => w.Contains("no longer has the upload", StringComparison.Ordinal));
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
    }

    [Fact]
    public async Task PartSizeBelowS3MinimumIsInvalidArgument()
    {
        var path = SourceFiles.Create(Dir.File("small-parts.bin"), 10);
        var error = await Assert.ThrowsAsync<TransferException>(
            () => Engine(new UploadTestObserver()).UploadAsync(Request(path, "x/small.bin", ExistingUploadPolicy.Fail) with { ChunkSize = MiB }, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("5242880", error.Message, StringComparison.Ordinal);
    }

    /// <summary>S3's multipart ETag computed here from the file itself (not by the code under test): md5 of the parts' binary MD5s, "-" and the part count.</summary>
    private static string ExpectedMultipartETag(string path, long part)
    {
        using var stream = File.OpenRead(path);
        var buffer = new byte[part];
        var digests = new List<byte>();
        var count = 0;
        int read;
        while ((read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false)) > 0)
        {
            digests.AddRange(System.Security.Cryptography.MD5.HashData(buffer.AsSpan(0, read)));
            count++;
        }

        return $"{Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(digests.ToArray()))}-{count}";
    }

    [Fact]
    public void MultipartETagIsMd5OfPartMd5s()
    {
        // Two parts whose MD5s are known: md5("a") and md5("b"); S3's rule gives md5(bin(md5a) + bin(md5b)) + "-2".
        var etag = S3MultipartProtocol.MultipartETag(new[] { "0cc175b9c0f1b6a831c399e269772661", "92eb5ffee6ae2fec3ad71c777531578f" });
        using var md5 = System.Security.Cryptography.MD5.Create();
        var expected = Convert.ToHexStringLower(md5.ComputeHash(Convert.FromHexString("0cc175b9c0f1b6a831c399e26977266192eb5ffee6ae2fec3ad71c777531578f")));
        Assert.Equal(expected + "-2", etag);
    }
}
