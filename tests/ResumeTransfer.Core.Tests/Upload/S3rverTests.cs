using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// S3 multipart uploads against s3rver 3.7.1, the lenient peer: the happy path, and resuming from the local journal
/// because s3rver cannot list parts (405).
/// </summary>
public sealed class S3rverTests : S3UploadTestBase<S3rverPeer>
{
    public S3rverTests(S3rverPeer peer)
        : base(peer, "rt-s3rver-src")
    {
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(Part + 1)]
    [InlineData((16 * MiB) + 5)]
    public async Task UploadsFileExactly(long size)
    {
        var path = SourceFiles.Create(Dir.File($"size-{size}.bin"), size);
        var key = $"exact/{size}.bin";

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(Request(path, key, ExistingUploadPolicy.Fail), 1, CancellationToken.None);

        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
        Assert.Equal(size, result.BytesSent);

        // s3rver answers Complete with the MD5 of the whole object, not the multipart ETag: the client checks that instead.
        using (var md5 = System.Security.Cryptography.MD5.Create())
        using (var file = File.OpenRead(path))
        {
            Assert.Equal($"\"{Convert.ToHexStringLower(md5.ComputeHash(file))}\"", result.ETag);
        }

        Assert.Contains(observer.Messages, m => m.Text.Contains("MD5 of the whole object", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResumesFromJournalWhenServerCannotListParts()
    {
        var length = (4 * Part) + 9;
        var path = SourceFiles.Create(Dir.File("journal.bin"), length);
        var key = "journal/journal.bin";
        var request = Request(path, key, ExistingUploadPolicy.Resume);
        using (var cancel = new CancellationTokenSource())
        {
            using var first = new InterruptingProtocol(new S3MultipartProtocol(request, NullTransferObserver.Instance), cancel, Part + (Part / 2), cancelAfterChunks: 1);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine(NullTransferObserver.Instance).UploadAsync(request, first, 1, cancel.Token));
        }

        var journal = UploadState.FromJson(File.ReadAllText(path + UploadStateStore.Extension), "state").Parts;
        Assert.NotEmpty(journal);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.Contains(observer.Messages, m => m.Text.Contains("cannot list the parts", StringComparison.Ordinal));
        Assert.Equal(journal.Sum(p => p.Length), result.BytesSkipped);
        Assert.Equal(length - result.BytesSkipped, result.BytesSent);
        Assert.Equal(SourceFiles.Sha256(path), await Peer.StoredSha256Async(key));
    }
}
