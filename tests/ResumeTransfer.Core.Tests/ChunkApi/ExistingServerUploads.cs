using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>Uploads through the <see cref="UploadEngine"/> with <see cref="ChunkFormProtocol"/> to an <see cref="ExistingChunkServer"/>: what the profile tests share.</summary>
public abstract class ExistingServerUploads : IDisposable
{
    private readonly HttpClient client = TransferHttpClientFactory.Create(16);

    protected TempDir Dir { get; } = new("rt-existing-client");

    private protected UploadTestObserver Observer { get; private set; } = new();

    public void Dispose()
    {
        client.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static UploadRequest NewRequest(string path, Uri url, long chunkSize, int connections, ChunkApiProfileOptions options) => new()
    {
        Path = path,
        Uri = url,
        Protocol = UploadProtocolKind.ChunkApi,
        ChunkApi = options,
        ChunkSize = chunkSize,
        Connections = connections,
        ExistingUpload = ExistingUploadPolicy.Resume,
        RetryInterval = TimeSpan.FromMilliseconds(10),
        MaxRetries = 3,
    };

    protected async Task<UploadResult> UploadAsync(UploadRequest request, CancellationToken cancellationToken = default)
    {
        Observer = new UploadTestObserver();
        using var protocol = await UploadProtocolResolver.CreateAsync(client, request, Observer, cancellationToken);
        Assert.IsType<ChunkFormProtocol>(protocol);
        var engine = new UploadEngine(client, TimeProvider.System, Observer) { PerUserStateFolder = Dir.File("state") };
        return await engine.UploadAsync(request, protocol, 1, cancellationToken);
    }

    /// <summary>Starts the upload and cancels it (as Ctrl+C does) once the server acknowledged <paramref name="afterChunks"/> chunks; returns the state file then.</summary>
    protected async Task<UploadState> UploadUntilCancelledAsync(ExistingChunkServer server, UploadRequest request, int afterChunks)
    {
        using var cancel = new CancellationTokenSource();
        var before = server.ChunkPosts.Count;
        var upload = UploadAsync(request, cancel.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.ChunkPosts.Skip(before).Count(e => e.Status == 200) < afterChunks && !upload.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        await server.WaitForQuietAsync();
        return ReadState(request.Path);
    }

    protected static UploadState ReadState(string path)
    {
        var statePath = UploadStateStore.BesidePath(path);
        return UploadState.FromJson(File.ReadAllText(statePath), statePath);
    }

    protected string WriteSource(string name, long size, int seed) => SourceFiles.Create(Dir.File(name), size, seed);
}
