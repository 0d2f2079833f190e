using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using ResumeTransfer.TestServer.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>Keeps every message the core reports.</summary>
public sealed class RecordingObserver : ITransferObserver
{
    public ConcurrentQueue<(TransferMessageLevel Level, string Text)> Messages { get; } = new();

    public IEnumerable<string> Warnings => Messages.Where(m => m.Level == TransferMessageLevel.Warning).Select(m => m.Text);

    public void OnProgress(TransferProgress progress)
    {
    }

    public void OnMessage(TransferMessageLevel level, string message) => Messages.Enqueue((level, message));
}

/// <summary><see cref="ChunkApiProtocol"/> driven by the <see cref="UploadEngine"/> against the reference receiver.</summary>
public sealed class ChunkApiProtocolTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly TempDir _dir = new("rt-chunkclient");
    private readonly HttpClient _client = TransferHttpClientFactory.Create(16);
    private readonly RecordingObserver _observer = new();

    public void Dispose()
    {
        _client.Dispose();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(0L, 4 * MiB)]
    [InlineData(1L, 4 * MiB)]
    [InlineData((4L * MiB) + 1, 4 * MiB)]
    [InlineData(64L * MiB, 4 * MiB)]
    public async Task UploadsEverySizeAndTheServerFileHasTheSourceSha256(long size, int chunkSize)
    {
        await using var server = await ChunkApiServer.StartAsync();
        var path = WriteSource("sample.bin", size, seed: 1);

        var result = await UploadAsync(server, path, chunkSize, connections: 4);

        var expectedChunks = size == 0 ? 1 : (int)((size + chunkSize - 1) / chunkSize);
        var merged = Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "sample.bin");
        Assert.Equal(Sha256Of(path), Sha256Of(merged));
        Assert.Equal(Sha256Of(path), result.Hash);
        Assert.Equal("SHA256", result.HashAlgorithm);
        Assert.Equal(size, result.Length);
        Assert.Equal(size, result.BytesSent);
        Assert.Equal(0, result.BytesSkipped);
        Assert.Equal(UploadProtocolKind.ChunkApi, result.Protocol);
        Assert.Matches("^[0-9a-f]{32}$", result.UploadId);
        Assert.False(File.Exists(UploadStateStore.BesidePath(path)));

        var log = server.Log.ForUpload(result.UploadId!);
        var chunks = log.Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        Assert.Equal(expectedChunks, chunks.Count);
        Assert.All(chunks, e => Assert.Equal(201, e.StatusCode));
        Assert.Equal(Enumerable.Range(0, expectedChunks).Select(i => (long?)i), chunks.Select(e => e.Chunk).Order());
        Assert.Single(log, e => e.Operation == ChunkApiOperation.Merge && e.StatusCode == 200);
    }

    [Fact]
    public async Task ChunksTheServerLostBeforeTheMergeAreSentAgainByTheEngineThenMergedAgain()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { LoseChunksBeforeMerge = [1, 3] };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("lost.bin", (5L * chunk) + 17, seed: 9);
        var observer = new ResumeTransfer.Core.Tests.Upload.UploadTestObserver();
        var request = NewRequest(path, server.Url, chunk, connections: 2);
        using var protocol = new ChunkApiProtocol(_client, request, observer);

        var result = await new UploadEngine(_client, TimeProvider.System, observer) { PerUserStateFolder = _dir.File("state") }
            .UploadAsync(request, protocol, 1, CancellationToken.None);

        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "lost.bin")));

        // The re-sent chunks went through the engine: counted as sent (before, the merge re-sent them uncounted).
        Assert.Equal(new FileInfo(path).Length + (2 * chunk), result.BytesSent);
        var log = server.Log.ForUpload(result.UploadId!);
        Assert.Equal(2, log.Count(e => e.Operation == ChunkApiOperation.Chunk && e.Chunk == 1));
        Assert.Equal(2, log.Count(e => e.Operation == ChunkApiOperation.Chunk && e.Chunk == 3));
        Assert.Equal(1, log.Count(e => e.Operation == ChunkApiOperation.Chunk && e.Chunk == 0));
        Assert.Equal(["chunks_missing", null], log.Where(e => e.Operation == ChunkApiOperation.Merge).Select(e => e.Error));
        Assert.Contains(observer.Warnings, w => w.Contains("lacks 2 chunks", StringComparison.Ordinal));

        // Progress took the lost chunks back and never counted past the file.
        Assert.All(observer.Progress, p => Assert.InRange(p.CompletedBytes, 0, new FileInfo(path).Length));
        Assert.False(File.Exists(UploadStateStore.BesidePath(path)));
    }

    [Fact]
    public async Task AServerThatKeepsLosingChunksIsGivenUpOnAfterTwoResends()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { LoseChunksBeforeMerge = [0], LoseOnEveryMerge = true };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("losing.bin", (2L * chunk) + 1, seed: 10);

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(server, path, chunk, connections: 1));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains("keeps losing chunks", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, faults.Merges);
        var state = UploadState.FromJson(await File.ReadAllTextAsync(UploadStateStore.BesidePath(path)), UploadStateStore.BesidePath(path));
        var log = server.Log.ForUpload(state.UploadId!);
        Assert.Equal(3, log.Count(e => e.Operation == ChunkApiOperation.Chunk && e.Chunk == 0));

        // The journal holds what the server acknowledged last: chunk 0 again after its last re-send.
        Assert.Equal(new[] { 1, 2, 3 }, state.Parts.Select(p => p.Number).Order());
    }

    [Fact]
    public async Task CancelledMidwayThenResumedSendsAtMostOneChunkPerConnectionAgain()
    {
        const int connections = 4;
        await using var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMilliseconds(40) });
        var path = WriteSource("resume.bin", 40L * 256 * 1024, seed: 2);

        var firstId = await UploadUntilCancelledAsync(server, path, 256 * 1024, connections, afterChunks: 12);
        await WaitForQuietAsync(server.Log);
        var firstRun = server.Log.ForUpload(firstId).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        var heldAfterFirst = firstRun.Where(e => e.StatusCode == 201).Select(e => e.Chunk!.Value).ToHashSet();
        var touchedInFirst = firstRun.Select(e => e.Chunk!.Value).ToHashSet();
        Assert.InRange(heldAfterFirst.Count, 12, 39);
        var before = server.Log.ForUpload(firstId).Count;

        var result = await UploadAsync(server, path, 256 * 1024, connections);

        Assert.Equal(firstId, result.UploadId);
        Assert.False(result.Restarted);
        var secondRun = server.Log.ForUpload(firstId).Skip(before).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        var sentAgain = secondRun.Select(e => e.Chunk!.Value).Where(touchedInFirst.Contains).Distinct().ToList();
        Assert.True(sentAgain.Count <= connections, $"chunks sent in both runs: {string.Join(", ", sentAgain)}");
        Assert.Equal(40, heldAfterFirst.Count + secondRun.Count(e => e.StatusCode == 201));
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, firstId, "merged", "resume.bin")));
        Assert.True(result.BytesSkipped >= 12L * 256 * 1024 - ((long)connections * 256 * 1024), $"skipped {result.BytesSkipped}");
    }

    [Fact]
    public async Task AChunkAnswered500IsRetriedAndTheMergedFileIsRight()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { FailChunkRequest = 3 };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("flaky.bin", (6L * chunk) + 5, seed: 11);

        var result = await UploadAsync(server, path, chunk, connections: 2);

        Assert.Equal(1, faults.FailedChunkRequests);
        Assert.True(result.Verified);
        Assert.Equal(Sha256Of(path), result.Hash);
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "flaky.bin")));
        // The refused request never reached the receiver; every chunk was stored once, and counted as sent once.
        var stored = server.Log.ForUpload(result.UploadId!).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        Assert.Equal(Enumerable.Range(0, 7).Select(i => (long?)i), stored.Select(e => e.Chunk).Order());
        Assert.All(stored, e => Assert.Equal(201, e.StatusCode));
        Assert.Equal(new FileInfo(path).Length, result.BytesSent);
    }

    [Fact]
    public async Task ASourceThatChangedBetweenRunsStartsANewUploadIdAndAbandonsTheOld()
    {
        await using var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMilliseconds(40) });
        var path = WriteSource("changed.bin", 24L * 64 * 1024, seed: 3);
        var firstId = await UploadUntilCancelledAsync(server, path, 64 * 1024, connections: 2, afterChunks: 4);

        WriteSource("changed.bin", 24L * 64 * 1024, seed: 4);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var result = await UploadAsync(server, path, 64 * 1024, connections: 2);

        Assert.NotEqual(firstId, result.UploadId);
        Assert.True(result.Restarted);
        Assert.Contains(_observer.Warnings, w => w.Contains("changed", StringComparison.Ordinal));
        Assert.Contains(server.Log.ForUpload(firstId), e => e.Operation == ChunkApiOperation.Delete && e.StatusCode == 204);
        Assert.False(Directory.Exists(Path.Combine(server.StorageDirectory, firstId)));
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "changed.bin")));
    }

    [Fact]
    public async Task AnUploadTheServerForgotStartsOverWithAWarning()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ChunkApiServer.StartAsync(time: time, faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMilliseconds(40) });
        var path = WriteSource("expired.bin", 16L * 64 * 1024, seed: 5);
        var firstId = await UploadUntilCancelledAsync(server, path, 64 * 1024, connections: 2, afterChunks: 3);
        await WaitForQuietAsync(server.Log);

        time.Advance(TimeSpan.FromHours(25));
        var result = await UploadAsync(server, path, 64 * 1024, connections: 2);

        Assert.NotEqual(firstId, result.UploadId);
        Assert.True(result.Restarted);
        Assert.Equal(0, result.BytesSkipped);
        Assert.Contains(_observer.Warnings, w => w.Contains("no longer has", StringComparison.Ordinal));
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "expired.bin")));
    }

    [Fact]
    public async Task AServerRestartedMidUploadKeepsWhatItHeld()
    {
        var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMilliseconds(40) });
        try
        {
            var path = WriteSource("restart.bin", 16L * 64 * 1024, seed: 6);
            var firstId = await UploadUntilCancelledAsync(server, path, 64 * 1024, connections: 2, afterChunks: 5);

            server = await server.RestartAsync();
            var result = await UploadAsync(server, path, 64 * 1024, connections: 2);

            Assert.Equal(firstId, result.UploadId);
            Assert.True(result.BytesSkipped >= 3L * 64 * 1024, $"skipped {result.BytesSkipped}");
            Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, firstId, "merged", "restart.bin")));
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task AChunkDamagedOnTheWayIsRefusedAndSentAgain()
    {
        await using var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { CorruptChunks = 2 });
        var path = WriteSource("damaged.bin", 3L * 64 * 1024, seed: 7);

        var result = await UploadAsync(server, path, 64 * 1024, connections: 1);

        var log = server.Log.ForUpload(result.UploadId!);
        Assert.Equal(2, log.Count(e => e.Error == "md5_mismatch"));
        Assert.Equal(3, log.Count(e => e.Operation == ChunkApiOperation.Chunk && e.StatusCode == 201));
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "damaged.bin")));
    }

    [Fact]
    public async Task ChunksLargerThanTheServerTakesAreAClearParameterError()
    {
        await using var server = await ChunkApiServer.StartAsync(maxChunkSize: 64 * 1024);
        var path = WriteSource("big-chunks.bin", 200 * 1024, seed: 8);

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(server, path, 128 * 1024, connections: 1));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("65536", error.Message, StringComparison.Ordinal);
        Assert.Contains("-ChunkSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFileNameTheServerRefusesIsAnInvalidFileNameError()
    {
        await using var server = await ChunkApiServer.StartAsync();
        var path = WriteSource("what?.txt", 10, seed: 9);

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(server, path, 64 * 1024, connections: 1));

        Assert.Equal(TransferErrorKind.InvalidFileName, error.Kind);
        Assert.Contains("Windows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MetadataAndAQueryOnTheUrlAreSentButTheQueryIsNeverRecorded()
    {
        await using var server = await ChunkApiServer.StartAsync();
        var path = WriteSource("query.bin", 100, seed: 10);
        var url = new Uri(server.Url + "?token=s3cret");
        var request = NewRequest(path, url, 64 * 1024, 1);

        using var protocol = new ChunkApiProtocol(_client, request, _observer);
        var result = await new UploadEngine(_client, TimeProvider.System, _observer) { PerUserStateFolder = _dir.File("state") }
            .UploadAsync(request, protocol, 1, CancellationToken.None);

        Assert.Equal(server.Url.AbsoluteUri, protocol.Target);
        Assert.DoesNotContain("s3cret", result.Target, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", result.UploadUrl!.AbsoluteUri, StringComparison.Ordinal);
        Assert.Equal(Sha256Of(path), result.Hash);
    }

    [Fact]
    public async Task DiscoveryRecognisesAChunkApiServer()
    {
        await using var server = await ChunkApiServer.StartAsync();

        Assert.True(await ChunkApiProtocol.DiscoverAsync(_client, server.Url, null, CancellationToken.None));
        Assert.False(await ChunkApiProtocol.DiscoverAsync(_client, new Uri(server.Url, "/elsewhere"), null, CancellationToken.None));
    }

    [Fact]
    public async Task StatusListsTheHeldChunksAndRejectsAnUploadOfOtherParameters()
    {
        await using var server = await ChunkApiServer.StartAsync();
        var path = WriteSource("status.bin", 2500, seed: 11);
        var bytes = await File.ReadAllBytesAsync(path);
        var calls = new ChunkApiCalls(_client, server.Url);
        var id = ChunkApiCalls.NewUploadId();
        await calls.PostChunkAsync(id, "status.bin", bytes.Length, 1000, 2, ChunkApiCalls.Slice(bytes, 1000, 2));
        await calls.PostChunkAsync(id, "status.bin", bytes.Length, 1000, 0, ChunkApiCalls.Slice(bytes, 1000, 0));
        var source = new UploadSource(path, SourceFingerprint.Compute(path));
        using var protocol = new ChunkApiProtocol(_client, NewRequest(path, server.Url, 1000, 1), _observer);

        var status = await protocol.GetStatusAsync(new UploadSession { UploadId = id, ChunkSize = 1000 }, source, CancellationToken.None);
        var otherGrid = await protocol.GetStatusAsync(new UploadSession { UploadId = id, ChunkSize = 2000 }, source, CancellationToken.None);
        var unknown = await protocol.GetStatusAsync(new UploadSession { UploadId = ChunkApiCalls.NewUploadId(), ChunkSize = 1000 }, source, CancellationToken.None);

        Assert.Equal(
            new (int, long, long, string?)[] { (1, 0L, 1000L, ChunkApiCalls.Md5(ChunkApiCalls.Slice(bytes, 1000, 0))), (3, 2000L, 500L, ChunkApiCalls.Md5(ChunkApiCalls.Slice(bytes, 1000, 2))) },
            status!.Parts!.Select(p => (p.Number, p.Offset, p.Length, p.Md5)).OrderBy(p => p.Number));
        Assert.Null(otherGrid);
        Assert.Contains(_observer.Warnings, w => w.Contains("chunk_size 1000 instead of 2000", StringComparison.Ordinal));
        Assert.Null(unknown);
    }

    [Fact]
    public async Task ChunksTheServerStoredButTheStateNeverRecordedAreNotSentAgain()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { UnavailableAfterChunks = 3 };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("unjournalled.bin", 8L * chunk, seed: 12);
        var (id, statePath) = await FailAfterThreeChunksAsync(server, faults, path, chunk);

        // Chunk 1: stored, and the run crashed before writing that down. Chunk 5: stored by another run of ours
        // that never recorded it. Both are on the server with this file's bytes.
        var state = UploadState.FromJson(await File.ReadAllTextAsync(statePath), statePath);
        state.Parts.RemoveAll(p => p.Number == 2);
        await File.WriteAllTextAsync(statePath, state.ToJson());
        var bytes = await File.ReadAllBytesAsync(path);
        var direct = await new ChunkApiCalls(_client, server.Url).PostChunkAsync(id, "unjournalled.bin", bytes.Length, chunk, 5, ChunkApiCalls.Slice(bytes, chunk, 5));
        Assert.Equal(HttpStatusCode.Created, direct.Status);
        var before = server.Log.ForUpload(id).Count;

        var result = await UploadAsync(server, path, chunk, connections: 2);

        Assert.Equal(id, result.UploadId);
        var resumed = server.Log.ForUpload(id).Skip(before).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        Assert.Equal(new long[] { 3, 4, 6, 7 }, resumed.Select(e => e.Chunk!.Value).Order());
        Assert.All(resumed, e => Assert.Equal(201, e.StatusCode));
        Assert.Equal(4L * chunk, result.BytesSkipped);
        Assert.Equal(4L * chunk, result.BytesSent);
        Assert.Equal(Sha256Of(path), result.Hash);
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, id, "merged", "unjournalled.bin")));
    }

    [Fact]
    public async Task AHeldChunkWithOtherBytesIsNotTrustedAndTheConflictStopsTheUploadBeforeAnyMerge()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { UnavailableAfterChunks = 3 };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("foreign.bin", 8L * chunk, seed: 13);
        var (id, _) = await FailAfterThreeChunksAsync(server, faults, path, chunk);

        // The server's chunk 1 (journalled by the client) now holds other bytes, stored under their own MD5: another
        // client sharing the id, or a damaged store. The status lists it with an MD5 that is not the file's.
        var chunks = Path.Combine(server.StorageDirectory, id, "chunks");
        File.Delete(Assert.Single(Directory.GetFiles(chunks, "1.*")));
        var foreign = ChunkApiCalls.RandomBytes(chunk, 99);
        await File.WriteAllBytesAsync(Path.Combine(chunks, "1." + ChunkApiCalls.Md5(foreign)), foreign);
        var before = server.Log.ForUpload(id).Count;

        var error = await Assert.ThrowsAnyAsync<TransferException>(() => UploadAsync(server, path, chunk, connections: 1));

        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, error.Kind);
        Assert.Contains("chunk_conflict", error.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
        var resumed = server.Log.ForUpload(id).Skip(before).ToList();
        Assert.Contains(resumed, e => e.Operation == ChunkApiOperation.Chunk && e.Chunk == 1 && e.Error == "chunk_conflict");
        Assert.DoesNotContain(server.Log.ForUpload(id), e => e.Operation == ChunkApiOperation.Merge);
        Assert.False(Directory.Exists(Path.Combine(server.StorageDirectory, id, "merged")));
        Assert.True(File.Exists(UploadStateStore.BesidePath(path)));

        // What the message says to do works: -Force abandons that upload and sends the file anew.
        var again = await UploadAsync(server, path, chunk, connections: 2, ExistingUploadPolicy.Overwrite);

        Assert.NotEqual(id, again.UploadId);
        Assert.Contains(server.Log.ForUpload(id), e => e.Operation == ChunkApiOperation.Delete && e.StatusCode == 204);
        Assert.Equal(Sha256Of(path), Sha256Of(Path.Combine(server.StorageDirectory, again.UploadId!, "merged", "foreign.bin")));
    }

    [Fact]
    public async Task AChunkDamagedOnTheServerDiskUnderItsOwnMd5FailsTheMergeAndNothingIsPublished()
    {
        const int chunk = 64 * 1024;
        var faults = new ChunkApiFaults { UnavailableAfterChunks = 3 };
        await using var server = await ChunkApiServer.StartAsync(faults: faults);
        var path = WriteSource("rotten.bin", 8L * chunk, seed: 14);
        var (id, _) = await FailAfterThreeChunksAsync(server, faults, path, chunk);

        // Bit rot: the file name (the MD5 the chunk was accepted with) still matches the client, the bytes do not.
        var stored = Assert.Single(Directory.GetFiles(Path.Combine(server.StorageDirectory, id, "chunks"), "2.*"));
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[100] ^= 0xFF;
        await File.WriteAllBytesAsync(stored, bytes);

        var error = await Assert.ThrowsAnyAsync<TransferException>(() => UploadAsync(server, path, chunk, connections: 2));

        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, error.Kind);
        Assert.Contains("422", error.Message, StringComparison.Ordinal);
        Assert.Contains(server.Log.ForUpload(id), e => e.Operation == ChunkApiOperation.Merge && e.Error == "hash_mismatch");
        Assert.Contains(server.Log.ForUpload(id), e => e.Operation == ChunkApiOperation.Delete && e.StatusCode == 204);
        Assert.False(Directory.Exists(Path.Combine(server.StorageDirectory, id)));
    }

    private static UploadRequest NewRequest(string path, Uri url, long chunkSize, int connections, ExistingUploadPolicy existing = ExistingUploadPolicy.Resume) => new()
    {
        Path = path,
        Uri = url,
        Protocol = UploadProtocolKind.ChunkApi,
        ChunkSize = chunkSize,
        Connections = connections,
        ExistingUpload = existing,
        RetryInterval = TimeSpan.FromMilliseconds(10),
        MaxRetries = 3,
        Metadata = new Dictionary<string, string> { ["owner"] = "tests" },
    };

    private async Task<UploadResult> UploadAsync(
        ChunkApiServer server, string path, long chunkSize, int connections, ExistingUploadPolicy existing = ExistingUploadPolicy.Resume, CancellationToken cancellationToken = default)
    {
        var request = NewRequest(path, server.Url, chunkSize, connections, existing);
        using var protocol = new ChunkApiProtocol(_client, request, _observer);
        var engine = new UploadEngine(_client, TimeProvider.System, _observer) { PerUserStateFolder = _dir.File("state") };
        return await engine.UploadAsync(request, protocol, 1, cancellationToken);
    }

    /// <summary>
    /// Uploads over one connection to a server that stops taking chunks after three (503 until the retries run out), then
    /// brings the server back. Returns the upload id and the state file, which journals chunks 0-2 (part numbers 1-3).
    /// </summary>
    private async Task<(string Id, string StatePath)> FailAfterThreeChunksAsync(ChunkApiServer server, ChunkApiFaults faults, string path, long chunkSize)
    {
        await Assert.ThrowsAnyAsync<TransferException>(() => UploadAsync(server, path, chunkSize, connections: 1));
        faults.UnavailableAfterChunks = null;
        var statePath = UploadStateStore.BesidePath(path);
        var state = UploadState.FromJson(await File.ReadAllTextAsync(statePath), statePath);
        Assert.Equal(new[] { 1, 2, 3 }, state.Parts.Select(p => p.Number).Order());
        return (state.UploadId!, statePath);
    }

    /// <summary>Starts an upload, cancels it once the server stored <paramref name="afterChunks"/> chunks, returns its upload id.</summary>
    private async Task<string> UploadUntilCancelledAsync(ChunkApiServer server, string path, long chunkSize, int connections, int afterChunks)
    {
        using var cancel = new CancellationTokenSource();
        var before = server.Log.All.Count;
        var upload = UploadAsync(server, path, chunkSize, connections, cancellationToken: cancel.Token);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.Log.All.Skip(before).Count(e => e.StatusCode == 201) < afterChunks && !upload.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2);
        }

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => upload);
        var state = UploadState.FromJson(await File.ReadAllTextAsync(UploadStateStore.BesidePath(path)), path);
        return state.UploadId!;
    }

    /// <summary>Waits until requests cut off by a cancellation have been logged by the server.</summary>
    private static async Task WaitForQuietAsync(ChunkApiLog log)
    {
        var count = -1;
        for (var i = 0; i < 100 && log.All.Count != count; i++)
        {
            count = log.All.Count;
            await Task.Delay(100);
        }
    }

    private string WriteSource(string name, long size, int seed)
    {
        var path = _dir.File(name);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        var random = new Random(seed);
        var buffer = new byte[MiB];
        for (long written = 0; written < size; written += buffer.Length)
        {
            random.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }

        return path;
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
