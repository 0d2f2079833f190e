using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>What every S3 test class against one peer needs: a source folder, a request for a key, the engine, interruption.</summary>
public abstract class S3UploadTestBase<TPeer> : IClassFixture<TPeer>, IDisposable
    where TPeer : S3Peer
{
    protected const long MiB = 1024 * 1024;
    protected const long Part = 5 * MiB;

    private readonly HttpClient client = TransferHttpClientFactory.Create(4);

    protected S3UploadTestBase(TPeer peer, string folderPrefix)
    {
        Peer = peer;
        Dir = new TempDir(folderPrefix);
    }

    protected TPeer Peer { get; }

    protected TempDir Dir { get; }

    public void Dispose()
    {
        client.Dispose();
        Dir.Dispose();
    }

    protected static UploadState ReadState(string path) =>
        UploadState.FromJson(File.ReadAllText(path + UploadStateStore.Extension), path + UploadStateStore.Extension);

    protected UploadRequest Request(string path, string key, ExistingUploadPolicy policy) => new()
    {
        Path = path,
        Uri = new Uri($"s3://{S3Peer.Bucket}/{key}"),
        Protocol = UploadProtocolKind.S3,
        Endpoint = Peer.Endpoint,
        Credential = Peer.Credential,
        ChunkSize = Part,
        Connections = 2,
        ExistingUpload = policy,
        MaxRetries = 2,
        RetryInterval = TimeSpan.FromMilliseconds(20),
    };

    protected UploadEngine Engine(ITransferObserver observer) => new(client, TimeProvider.System, observer) { PerUserStateFolder = Dir.File("per-user") };

    /// <summary>Runs the upload and cancels it once <paramref name="cancelAfter"/> bytes went out and <paramref name="acknowledgedParts"/> parts were acknowledged.</summary>
    protected async Task<InterruptingProtocol> UploadUntilCancelledAsync(UploadRequest request, long cancelAfter, int acknowledgedParts = 1)
    {
        using var cancel = new CancellationTokenSource();
        var observer = new UploadTestObserver();
        var protocol = new InterruptingProtocol(new S3MultipartProtocol(request, observer), cancel, cancelAfter, acknowledgedParts);
        using (protocol)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine(observer).UploadAsync(request, protocol, 1, cancel.Token));
        }

        return protocol;
    }
}
