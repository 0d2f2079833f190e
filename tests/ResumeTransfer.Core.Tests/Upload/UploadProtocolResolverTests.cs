using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using ResumeTransfer.Core.Upload.S3;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>Auto protocol detection (tus detection is in <see cref="TusProtocolTests"/>, next to its peer).</summary>
public sealed class UploadProtocolResolverTests
{
    [Fact]
    public async Task AutoDetectsTheChunkApiReceiver()
    {
        await using var server = await TestServerHost.StartAsync();
        using var client = TransferHttpClientFactory.Create(1);
        var request = new UploadRequest { Path = "/tmp/x.bin", Uri = server.ChunkApiUri };

        using var protocol = await UploadProtocolResolver.CreateAsync(client, request, NullTransferObserver.Instance, CancellationToken.None);

        Assert.IsType<ChunkApiProtocol>(protocol);
    }

    [Fact]
    public async Task S3AddressesAreS3WithoutAsking()
    {
        using var client = TransferHttpClientFactory.Create(1);
        var request = new UploadRequest { Path = "/tmp/x.bin", Uri = new Uri("s3://bucket/dir/"), Endpoint = new Uri("http://127.0.0.1:9/"), Credential = new System.Net.NetworkCredential("a", "b") };

        using var protocol = await UploadProtocolResolver.CreateAsync(client, request, NullTransferObserver.Instance, CancellationToken.None);

        var s3 = Assert.IsType<S3MultipartProtocol>(protocol);
        Assert.Equal("dir/x.bin", s3.Location.Key);
    }

    [Fact]
    public async Task S3ProtocolNeedsAnS3Address()
    {
        using var client = TransferHttpClientFactory.Create(1);
        var request = new UploadRequest { Path = "/tmp/x.bin", Uri = new Uri("http://127.0.0.1:9/up"), Protocol = UploadProtocolKind.S3 };

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadProtocolResolver.CreateAsync(client, request, NullTransferObserver.Instance, CancellationToken.None));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
    }
}
