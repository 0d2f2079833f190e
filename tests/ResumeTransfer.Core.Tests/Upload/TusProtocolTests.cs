using System.Net;
using System.Text.Json;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.Tus;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>The tus client and the upload engine against @tus/server 2.4.5 + @tus/file-store 2.1.1.</summary>
public sealed class TusProtocolTests : IClassFixture<TusPeer>, IDisposable
{
    private const long Chunk = 256 * 1024;
    private const long MiB = 1024 * 1024;

    private readonly TusPeer peer;
    private readonly TempDir dir = new("rt-tus-src");
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);

    public TusProtocolTests(TusPeer peer)
    {
        this.peer = peer;
    }

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(Chunk + 1)]
    public async Task UploadsFileExactly(long size)
    {
        var path = SourceFiles.Create(dir.File($"size-{size}.bin"), size);
        var observer = new UploadTestObserver();
        var request = Request(path, ExistingUploadPolicy.Fail) with { Metadata = new Dictionary<string, string> { ["owner"] = "tests ü" } };

        var result = await Engine(observer).UploadAsync(request, 1, CancellationToken.None);

        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        Assert.Equal(UploadProtocolKind.Tus, result.Protocol);
        Assert.Equal(size, result.Length);
        Assert.Equal(size, result.BytesSent);
        Assert.Equal(0, result.BytesSkipped);
        Assert.False(File.Exists(path + UploadStateStore.Extension), "the state file is removed once the upload is complete");

        var log = peer.LogFor(result.UploadUrl!);
        Assert.All(log, line => Assert.Equal("1.0.0", line.TusResumable));
        Assert.Equal((size + Chunk - 1) / Chunk, log.Count(line => line.Method == "PATCH" && line.Status == 204));
        Assert.Contains(peer.Log, line => line.Method == "OPTIONS" && line.TusResumable == "-");

        // Upload-Metadata: file name and user metadata, base64 on the wire, decoded by the server.
        using var info = JsonDocument.Parse(File.ReadAllText(peer.StoredFile(result.UploadUrl!) + ".json"));
        var metadata = info.RootElement.GetProperty("metadata");
        Assert.Equal(Path.GetFileName(path), metadata.GetProperty("filename").GetString());
        Assert.Equal("tests ü", metadata.GetProperty("owner").GetString());
    }

    [Fact]
    public async Task Uploads64MiBWithDefaultChunks()
    {
        var path = SourceFiles.Create(dir.File("big.bin"), (64 * MiB) + 12345);
        var result = await Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Fail) with { ChunkSize = null }, 1, CancellationToken.None);

        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        Assert.Equal(8 * MiB, result.ChunkSize);
        Assert.Equal(9, peer.LogFor(result.UploadUrl!).Count(line => line.Method == "PATCH" && line.Status == 204));
    }

    [Fact]
    public async Task CancelledUploadResumesFromServerOffsetSendingAtMostOneChunkAgain()
    {
        const long chunk = MiB;
        var length = (24 * MiB) + 7;
        var path = SourceFiles.Create(dir.File("resume.bin"), length);
        var request = Request(path, ExistingUploadPolicy.Resume) with { ChunkSize = chunk };

        var (first, cancelledAt) = await UploadUntilCancelledAsync(request, (10 * chunk) + (chunk / 2));
        var state = ReadState(path);
        var uploadUrl = new Uri(state.UploadUrl!);
        Assert.Equal(10 * chunk, state.AcknowledgedOffset);
        var serverOffset = await peer.OffsetAsync(uploadUrl);
        Assert.NotNull(serverOffset);
        Assert.InRange(serverOffset!.Value, state.AcknowledgedOffset!.Value, cancelledAt);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.Equal(uploadUrl, result.UploadUrl);
        Assert.False(result.Restarted);
        Assert.Equal(serverOffset.Value, result.BytesSkipped);
        Assert.Equal(length - serverOffset.Value, result.BytesSent);
        Assert.InRange(first.Transmitted + result.BytesSent - length, 0, chunk);
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(uploadUrl));
        Assert.Empty(observer.Warnings);
        Assert.Equal(length, observer.Progress[^1].CompletedBytes);
        Assert.Equal(TransferPhase.Completed, observer.Progress[^1].Phase);
    }

    [Fact]
    public async Task UploadDeletedOnServerStartsOverWithWarning()
    {
        var path = SourceFiles.Create(dir.File("expired.bin"), 8 * Chunk);
        var request = Request(path, ExistingUploadPolicy.Resume);
        await UploadUntilCancelledAsync(request, 3 * Chunk);
        var oldUrl = new Uri(ReadState(path).UploadUrl!);
        await peer.DeleteAsync(oldUrl);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.True(result.Restarted);
        Assert.NotEqual(oldUrl, result.UploadUrl);
        Assert.Equal(0, result.BytesSkipped);
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        Assert.Contains(observer.Warnings, w => w.Contains("no longer has the upload", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ChangedSourceAbandonsOldUploadAndStartsNew()
    {
        var path = SourceFiles.Create(dir.File("changed.bin"), 8 * Chunk, seed: 1);
        var request = Request(path, ExistingUploadPolicy.Resume);
        await UploadUntilCancelledAsync(request, 3 * Chunk);
        var oldUrl = new Uri(ReadState(path).UploadUrl!);
        SourceFiles.Create(path, 8 * Chunk, seed: 2);

        var observer = new UploadTestObserver();
        var result = await Engine(observer).UploadAsync(request, 2, CancellationToken.None);

        Assert.True(result.Restarted);
        Assert.NotEqual(oldUrl, result.UploadUrl);
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
        Assert.Contains(observer.Warnings, w => w.Contains("changed since its upload", StringComparison.Ordinal));
        Assert.Contains(peer.LogFor(oldUrl), line => line.Method == "DELETE" && line.Status == 204);
        Assert.Null(await peer.OffsetAsync(oldUrl));
    }

    [Fact]
    public async Task ExistingUploadWithoutResumeFailsAndTouchesNothing()
    {
        var path = SourceFiles.Create(dir.File("exists.bin"), 6 * Chunk);
        await UploadUntilCancelledAsync(Request(path, ExistingUploadPolicy.Resume), 2 * Chunk);
        var stateBefore = File.ReadAllText(path + UploadStateStore.Extension);
        var url = new Uri(ReadState(path).UploadUrl!);
        var offsetBefore = await peer.OffsetAsync(url);

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Fail), 2, CancellationToken.None));

        Assert.Equal(TransferErrorKind.TargetExists, error.Kind);
        Assert.Contains("-Resume", error.Message, StringComparison.Ordinal);
        Assert.Equal(stateBefore, File.ReadAllText(path + UploadStateStore.Extension));
        Assert.Equal(offsetBefore, await peer.OffsetAsync(url));

        var result = await Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Overwrite), 3, CancellationToken.None);
        Assert.True(result.Restarted);
        Assert.Null(await peer.OffsetAsync(url));
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
    }

    [Fact]
    public async Task StateFileHoldsNoSecrets()
    {
        var path = SourceFiles.Create(dir.File("secret.bin"), 6 * Chunk);
        var request = Request(path, ExistingUploadPolicy.Resume) with
        {
            Credential = new NetworkCredential("alice", "pa55-word-xyz"),
            Headers = new Dictionary<string, string> { ["Cookie"] = "session=cookie-4567", ["X-Trace"] = "visible" },
            AllowUnencryptedAuthentication = true,
        };
        await UploadUntilCancelledAsync(request, 2 * Chunk);

        var text = File.ReadAllText(path + UploadStateStore.Extension);
        Assert.DoesNotContain("pa55-word-xyz", text, StringComparison.Ordinal);
        Assert.DoesNotContain("cookie-4567", text, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Basic", text, StringComparison.Ordinal);
        Assert.Equal(1, ReadState(path).Schema);
    }

    [Fact]
    public async Task SecondUploadOfSameSourceIsLocked()
    {
        var path = SourceFiles.Create(dir.File("locked.bin"), 10);
        using (UploadStateStore.Open(path))
        {
            var error = await Assert.ThrowsAsync<TransferException>(() => Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Resume), 1, CancellationToken.None));
            Assert.Equal(TransferErrorKind.StateLocked, error.Kind);
        }
    }

    [Fact]
    public async Task AutoDetectsTusFromOptions()
    {
        var path = SourceFiles.Create(dir.File("auto.bin"), Chunk + 5);
        var result = await Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Fail) with { Protocol = UploadProtocolKind.Auto }, 1, CancellationToken.None);

        Assert.Equal(UploadProtocolKind.Tus, result.Protocol);
        Assert.Equal(SourceFiles.Sha256(path), peer.StoredSha256(result.UploadUrl!));
    }

    [Fact]
    public async Task AutoSaysSoWhenServerIsNotTus()
    {
        await using var server = await TestServerHost.StartAsync();
        var path = SourceFiles.Create(dir.File("unknown.bin"), 10);
        var request = Request(path, ExistingUploadPolicy.Fail) with { Protocol = UploadProtocolKind.Auto, Uri = new Uri(server.BaseUri, "files/upload") };

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine(new UploadTestObserver()).UploadAsync(request, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("-Protocol", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path + UploadStateStore.Extension));
    }

    [Fact]
    public async Task ChunkSizeBelowMinimumIsInvalidArgument()
    {
        var path = SourceFiles.Create(dir.File("tiny-chunks.bin"), 10);
        var error = await Assert.ThrowsAsync<TransferException>(
            () => Engine(new UploadTestObserver()).UploadAsync(Request(path, ExistingUploadPolicy.Fail) with { ChunkSize = 1000 }, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("-ChunkSize", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path + UploadStateStore.Extension));
    }

    private UploadRequest Request(string path, ExistingUploadPolicy policy) => new()
    {
        Path = path,
        Uri = peer.Endpoint,
        Protocol = UploadProtocolKind.Tus,
        ChunkSize = Chunk,
        ExistingUpload = policy,
        MaxRetries = 3,
        RetryInterval = TimeSpan.FromMilliseconds(20),
    };

    private UploadEngine Engine(ITransferObserver observer) => new(client, TimeProvider.System, observer) { PerUserStateFolder = dir.File("per-user") };

    private static UploadState ReadState(string path) =>
        UploadState.FromJson(File.ReadAllText(path + UploadStateStore.Extension), path + UploadStateStore.Extension);

    /// <summary>Runs the upload and cancels it once <paramref name="cancelAfter"/> bytes went out (mid-chunk); returns the counter and that point.</summary>
    private async Task<(InterruptingProtocol Protocol, long CancelledAt)> UploadUntilCancelledAsync(UploadRequest request, long cancelAfter)
    {
        using var cancel = new CancellationTokenSource();
        var observer = new UploadTestObserver();
        using var protocol = new InterruptingProtocol(new TusProtocol(client, request, observer), cancel, cancelAfter);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine(observer).UploadAsync(request, protocol, 1, cancel.Token));
        return (protocol, protocol.Transmitted);
    }
}
