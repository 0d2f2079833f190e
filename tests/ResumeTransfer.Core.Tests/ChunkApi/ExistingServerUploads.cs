using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// Uploads through the <see cref="UploadEngine"/> with <see cref="ChunkFormProtocol"/> to an <see cref="ExistingChunkServer"/>:
/// what the profile tests share, and the scenarios every profile must pass (run once per derived class).
/// </summary>
public abstract class ExistingServerUploads : IDisposable
{
    protected const int Chunk = 64 * 1024;

    private readonly HttpClient client = TransferHttpClientFactory.Create(16);

    /// <summary>The profile under test.</summary>
    protected abstract ChunkApiProfileOptions Options { get; }

    /// <summary>Starts this profile's server with launcher options (--delay-ms, --fail-post...).</summary>
    protected abstract Task<ExistingChunkServer> StartServerAsync(params string[] options);

    /// <summary>SHA-256 of what the server made of the upload (merged or assembled file).</summary>
    protected abstract Task<string> StoredSha256Async(ExistingChunkServer server, UploadResult result, string fileName);

    [Fact]
    public async Task ASourceThatChangedBetweenRunsIsSentWholeAgainAndNeverMixed()
    {
        await using var server = await StartServerAsync("--delay-ms", "40");
        var path = WriteSource("changed.bin", 24L * Chunk, seed: 3);
        var request = NewRequest(path, server.Url, Chunk, connections: 2, Options);
        var killed = await UploadUntilCancelledAsync(server, request, afterChunks: 4);
        var before = server.ChunkPosts.Count;

        WriteSource("changed.bin", 24L * Chunk, seed: 4);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var result = await UploadAsync(request);
        await server.WaitForQuietAsync();

        Assert.True(result.Restarted);
        Assert.NotEqual(killed.UploadId, result.UploadId);
        Assert.Contains(Observer.Warnings, w => w.Contains("changed since its upload", StringComparison.Ordinal));
        Assert.Equal(24, server.ChunkPosts.Skip(before).Count(l => l.Status == 200));
        Assert.Equal(24L * Chunk, result.BytesSent);
        Assert.Equal(SourceFiles.Sha256(path), await StoredSha256Async(server, result, "changed.bin"));
    }

    [Fact]
    public async Task AChunkAnswered500IsRetriedAndTheFileStillArrivesWhole()
    {
        await using var server = await StartServerAsync("--fail-post", "3");
        var path = WriteSource("flaky.bin", 6L * Chunk, seed: 5);

        var result = await UploadAsync(NewRequest(path, server.Url, Chunk, connections: 2, Options));
        await server.WaitForQuietAsync();

        Assert.Equal(SourceFiles.Sha256(path), await StoredSha256Async(server, result, "flaky.bin"));
        Assert.Single(server.ChunkPosts, l => l.Status == 500);
        Assert.Equal(6, server.ChunkPosts.Count(l => l.Status == 200));
        Assert.Equal(6, server.ChunkPosts.Where(l => l.Status == 200).Select(l => l.Chunk!.Value).Distinct().Count());
        Assert.Contains(Observer.Messages, m => m.Text.Contains("500", StringComparison.Ordinal));
        Assert.Equal(6L * Chunk, result.BytesSent);
        Assert.False(result.Verified);
    }

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

    /// <summary>Starts the upload and cancels it (as Ctrl+C does) once the state file records <paramref name="afterChunks"/> acknowledged chunks; returns the state file then.</summary>
    protected async Task<UploadState> UploadUntilCancelledAsync(ExistingChunkServer server, UploadRequest request, int afterChunks)
    {
        using var cancel = new CancellationTokenSource();
        var upload = UploadAsync(request, cancel.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((TryReadState(request.Path)?.Parts.Count ?? 0) < afterChunks && !upload.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        await server.WaitForQuietAsync();
        return ReadState(request.Path);
    }

    /// <summary>The state file, or null while there is none or it is being replaced.</summary>
    private static UploadState? TryReadState(string path)
    {
        try
        {
            return ReadState(path);
        }
        catch (Exception ex) when (ex is IOException or TransferException)
        {
            return null;
        }
    }

    protected static UploadState ReadState(string path)
    {
        var statePath = UploadStateStore.BesidePath(path);
        return UploadState.FromJson(File.ReadAllText(statePath), statePath);
    }

    protected string WriteSource(string name, long size, int seed) => SourceFiles.Create(Dir.File(name), size, seed);
}
