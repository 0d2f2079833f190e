using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>Bad s3:// input is an InvalidArgument from the validator, before any traffic (the endpoint here accepts nothing) and before any file is made.</summary>
public sealed class S3DownloadValidationTests : IDisposable
{
    private readonly TempDir dir = new("rt-s3dl-valid");

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("s3://bucket")]
    [InlineData("s3://bucket/prefix/")]
    [InlineData("s3://Bucket/key")]
    [InlineData("s3://bu/key")]
    [InlineData("s3://key:s3cr3tValue@bucket/key")]
    [InlineData("s3://bucket/key?X-Amz-Signature=abc")]
    public async Task BadAddressesAreRefusedBeforeAnyTraffic(string uri)
    {
        var target = dir.File("out.bin");
        var request = new DownloadRequest
        {
            Uri = new Uri(uri),
            OutputPath = target,
            Endpoint = new Uri("http://127.0.0.1:9"), // the discard port: any request would fail as ConnectionFailed
            MaxRetries = 0,
        };

        var error = Assert.Throws<TransferException>(() => DownloadRequestValidator.Validate(request));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        using var http = new HttpClient();
        var engineError = await Assert.ThrowsAsync<TransferException>(() => new DownloadEngine(http, TimeProvider.System, NullTransferObserver.Instance).DownloadAsync(request, 1, CancellationToken.None));
        Assert.Equal(TransferErrorKind.InvalidArgument, engineError.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path));
        Assert.DoesNotContain("s3cr3tValue", error.Message, StringComparison.Ordinal);
    }
}
