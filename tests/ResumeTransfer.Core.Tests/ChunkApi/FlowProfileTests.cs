using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// <see cref="ChunkApiProfile.Flow"/> (and Resumable) against the flow.js project's own Node.js sample server
/// (tests/peers/flow-server.cjs): it refuses (500) any chunk count but flow.js's, tests chunks with GET, assembles the
/// file itself and streams it from GET /download/ID.
/// </summary>
public sealed class FlowProfileTests : ExistingServerUploads
{
    private static readonly ChunkApiProfileOptions Flow = new() { Profile = ChunkApiProfile.Flow };

    protected override ChunkApiProfileOptions Options => Flow;

    protected override Task<ExistingChunkServer> StartServerAsync(params string[] options) => ExistingChunkServer.StartFlowAsync(options);

    protected override Task<string> StoredSha256Async(ExistingChunkServer server, UploadResult result, string fileName) =>
        server.DownloadSha256Async(result.UploadId!);

    [Theory]
    [InlineData(1L)]
    [InlineData(Chunk - 1L)]
    [InlineData(Chunk + 0L)]
    [InlineData(Chunk + 1L)]
    [InlineData((2L * Chunk) - 1)]
    [InlineData((5L * Chunk) + 17)]
    public async Task AWholeUploadOnFlowJsGridIsAssembledToTheSourceSha256(long size)
    {
        await using var server = await ExistingChunkServer.StartFlowAsync();
        var path = WriteSource($"whole-{size}.bin", size, seed: 1);

        var result = await UploadAsync(NewRequest(path, server.Url, Chunk, connections: 3, Flow));
        await server.WaitForQuietAsync();

        // flow.js's count: max(1, floor(size / chunk)), the last chunk taking the remainder; the sample answers 500 to any other.
        var count = (int)Math.Max(1, size / Chunk);
        Assert.Equal(Enumerable.Range(1, count), server.ChunkPosts.Select(l => l.Chunk!.Value).Order());
        Assert.All(server.ChunkPosts, l => Assert.Equal(200, l.Status));
        Assert.All(server.ChunkPosts, l => Assert.Equal(result.UploadId, l.Id));
        Assert.Equal(SourceFiles.Sha256(path), await server.DownloadSha256Async(result.UploadId!));
        Assert.False(result.Verified);
        Assert.Equal(size, result.BytesSent);
        Assert.DoesNotContain(server.Log, l => l.Method == "GET" && l.Path == "/upload");
        Assert.False(File.Exists(UploadStateStore.BesidePath(path)));
    }

    [Fact]
    public async Task ResumedAfterACrashTheClientsRecordComesFirstAndTheTestCallSkipsChunksTheServerHolds()
    {
        const int connections = 4;
        await using var server = await ExistingChunkServer.StartFlowAsync("--delay-ms", "40");
        var path = WriteSource("resume.bin", 40L * Chunk, seed: 2);
        var request = NewRequest(path, server.Url, Chunk, connections, Flow);
        var killed = await UploadUntilCancelledAsync(server, request, afterChunks: 12);
        var held = server.FlowChunksHeld(killed.UploadId!);
        Assert.InRange(killed.Parts.Count, 12, 39);

        // A crash between the server's 200 and the state write: the record lacks three chunks the server holds.
        var forgotten = killed.Parts.OrderBy(p => p.Number).Take(3).Select(p => p.Number).ToList();
        killed.Parts.RemoveAll(p => forgotten.Contains(p.Number));
        File.WriteAllText(UploadStateStore.BesidePath(path), killed.ToJson());
        var before = server.Log.Count;

        var result = await UploadAsync(request);
        await server.WaitForQuietAsync();

        Assert.Equal(killed.UploadId, result.UploadId);
        Assert.False(result.Restarted);
        Assert.Equal(SourceFiles.Sha256(path), await server.DownloadSha256Async(result.UploadId!));
        var secondRun = server.Log.Skip(before).Where(l => l.Path == "/upload").ToList();
        // One GET per chunk not on record, none for the chunks on record.
        // First one GET about an upload that cannot exist: the server must say it does not hold it (204).
        Assert.Single(secondRun, l => l.Method == "GET" && l.Id != killed.UploadId && l.Status == 204);
        var tested = secondRun.Where(l => l.Method == "GET" && l.Id == killed.UploadId).Select(l => l.Chunk!.Value).ToList();
        Assert.Equal(40 - killed.Parts.Count, tested.Count);
        Assert.Empty(tested.Intersect(killed.Parts.Select(p => p.Number)));
        Assert.Subset(tested.ToHashSet(), forgotten.ToHashSet());
        // The forgotten chunks were found by the test call and not sent; only chunks cut off in flight go twice.
        var posted = secondRun.Where(l => l.Method == "POST").Select(l => l.Chunk!.Value).ToList();
        Assert.Empty(posted.Intersect(forgotten));
        var sentAgain = posted.Where(held.Contains).Distinct().ToList();
        Assert.True(sentAgain.Count <= connections, $"chunks the server held and got again: {string.Join(", ", sentAgain)}");
        Assert.Equal(40 - held.Count, posted.Count - sentAgain.Count);
        Assert.Equal((long)(40 - posted.Count) * Chunk, result.BytesSkipped);
        Assert.Contains(Observer.Messages, m => m.Text.Contains("asking the server (GET)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASourceChangedMidUploadFailsBeforeTheLastChunkSoTheServerAssemblesNothing()
    {
        // No merge call: the sample assembles the file as soon as it holds every chunk, so the last one is held back
        // until the source is checked again.
        await using var server = await ExistingChunkServer.StartFlowAsync("--delay-ms", "60");
        var path = WriteSource("midway.bin", 12L * Chunk, seed: 13);
        var upload = UploadAsync(NewRequest(path, server.Url, Chunk, connections: 2, Flow));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.ChunkPosts.Count < 2 && !upload.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(2);
        }

        WriteSource("midway.bin", 12L * Chunk, seed: 14);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var error = await Assert.ThrowsAsync<TransferException>(() => upload);
        await server.WaitForQuietAsync();

        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, error.Kind);
        Assert.Contains("changed while it was being uploaded", error.Message, StringComparison.Ordinal);
        var id = ReadState(path).UploadId!;
        Assert.DoesNotContain(server.ChunkPosts, l => l.Chunk == 12);
        Assert.Equal(Enumerable.Range(1, 11), server.FlowChunksHeld(id));
    }

    [Fact]
    public async Task AServerWhoseTestCallSaysYesToEverythingIsNotTrustedAndTheChunksNotOnRecordAreSent()
    {
        await using var server = await ExistingChunkServer.StartFlowAsync("--delay-ms", "40", "--get-always-200");
        var path = WriteSource("yes.bin", 16L * Chunk, seed: 12);
        var request = NewRequest(path, server.Url, Chunk, connections: 2, Flow);
        var killed = await UploadUntilCancelledAsync(server, request, afterChunks: 4);
        var before = server.Log.Count;

        var result = await UploadAsync(request);
        await server.WaitForQuietAsync();

        Assert.Contains(Observer.Warnings, w => w.Contains("cannot be trusted", StringComparison.Ordinal));
        var secondRun = server.Log.Skip(before).Where(l => l.Path == "/upload").ToList();
        Assert.Single(secondRun, l => l.Method == "GET");
        var onRecord = killed.Parts.Select(p => p.Number).ToHashSet();
        Assert.Equal(Enumerable.Range(1, 16).Where(n => !onRecord.Contains(n)), secondRun.Where(l => l.Method == "POST").Select(l => l.Chunk!.Value).Order());
        Assert.Equal(SourceFiles.Sha256(path), await server.DownloadSha256Async(result.UploadId!));
    }

    [Fact]
    public async Task TheResumableProfileWithItsFieldsMappedToFlowNamesUploadsToTheFlowSample()
    {
        // resumable.js is flow.js's ancestor: the same fields with another prefix. Mapped back, the flow sample takes them.
        await using var server = await ExistingChunkServer.StartFlowAsync();
        var path = WriteSource("resumable.bin", (3L * Chunk) + 100, seed: 8);
        var options = new ChunkApiProfileOptions
        {
            Profile = ChunkApiProfile.Resumable,
            Fields = new Dictionary<string, string>
            {
                ["chunk"] = "flowChunkNumber", ["total_chunks"] = "flowTotalChunks", ["chunk_size"] = "flowChunkSize", ["current_chunk_size"] = "flowCurrentChunkSize",
                ["total_size"] = "flowTotalSize", ["identifier"] = "flowIdentifier", ["filename"] = "flowFilename", ["relative_path"] = "flowRelativePath",
            },
        };

        var result = await UploadAsync(NewRequest(path, server.Url, Chunk, connections: 2, options));

        Assert.Equal(SourceFiles.Sha256(path), await server.DownloadSha256Async(result.UploadId!));
        Assert.False(result.Verified);
    }

    [Fact]
    public async Task AStateStartedWithAnotherProfileIsRefusedWithTheProfileToUse()
    {
        await using var server = await ExistingChunkServer.StartFlowAsync("--delay-ms", "40");
        var path = WriteSource("profile.bin", 16L * Chunk, seed: 9);
        await UploadUntilCancelledAsync(server, NewRequest(path, server.Url, Chunk, connections: 1, Flow), afterChunks: 2);
        var state = File.ReadAllText(UploadStateStore.BesidePath(path));

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(NewRequest(path, server.Url, Chunk, connections: 1, new ChunkApiProfileOptions { Profile = ChunkApiProfile.Seed })));

        Assert.Equal(TransferErrorKind.InvalidState, error.Kind);
        Assert.Contains("-ChunkApiProfile Flow", error.Message, StringComparison.Ordinal);
        Assert.Equal(state, File.ReadAllText(UploadStateStore.BesidePath(path)));
    }
}
