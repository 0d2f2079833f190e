using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// <see cref="ChunkApiProfile.Seed"/> against a receiver written to the product brief's description
/// (tests/peers/seed-receiver.cjs): five fields, `200 ok`, a merge call, no status call.
/// </summary>
public sealed class SeedProfileTests : ExistingServerUploads
{
    private static readonly ChunkApiProfileOptions Seed = new() { Profile = ChunkApiProfile.Seed };

    protected override ChunkApiProfileOptions Options => Seed;

    protected override Task<ExistingChunkServer> StartServerAsync(params string[] options) => ExistingChunkServer.StartSeedAsync(options);

    protected override Task<string> StoredSha256Async(ExistingChunkServer server, UploadResult result, string fileName) =>
        Task.FromResult(SourceFiles.Sha256(server.SeedMergedFile(fileName)));

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(Chunk + 1L)]
    [InlineData((5L * Chunk) + 17)]
    public async Task AWholeUploadIsMergedToTheSourceSha256AndSaysItWasNotVerified(long size)
    {
        await using var server = await ExistingChunkServer.StartSeedAsync();
        var path = WriteSource($"whole-{size}.bin", size, seed: 1);

        var result = await UploadAsync(NewRequest(path, server.Url, Chunk, connections: 3, Seed));

        Assert.Equal(SourceFiles.Sha256(path), SourceFiles.Sha256(server.SeedMergedFile($"whole-{size}.bin")));
        Assert.False(result.Verified);
        Assert.Null(result.Hash);
        Assert.Equal(size, result.BytesSent);
        Assert.Equal(UploadProtocolKind.ChunkApi, result.Protocol);
        await server.WaitForQuietAsync();
        var count = (int)ChunkPlanner.CountFor(size, Chunk);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (int?)i), server.ChunkPosts.Select(l => l.Chunk).Order());
        Assert.All(server.ChunkPosts, l => Assert.Equal(200, l.Status));
        Assert.Single(server.Log, l => l.Path == "/upload/merge" && l.Status == 200);
        Assert.False(File.Exists(UploadStateStore.BesidePath(path)));
    }

    [Fact]
    public async Task CancelledMidwayThenResumedFromTheClientsRecordSendsAtMostOneChunkPerConnectionAgain()
    {
        const int connections = 4;
        await using var server = await ExistingChunkServer.StartSeedAsync("--delay-ms", "40");
        var path = WriteSource("resume.bin", 40L * Chunk, seed: 2);
        var request = NewRequest(path, server.Url, Chunk, connections, Seed);

        var killed = await UploadUntilCancelledAsync(server, request, afterChunks: 12);
        var firstRun = server.ChunkPosts.ToList();
        var heldAfterFirst = firstRun.Where(l => l.Status == 200).Select(l => l.Chunk!.Value).ToHashSet();
        Assert.InRange(killed.Parts.Count, 12, 39);
        Assert.All(killed.Parts, p => Assert.Contains(p.Number - 1, heldAfterFirst));

        var result = await UploadAsync(request);
        await server.WaitForQuietAsync();

        Assert.Equal(SourceFiles.Sha256(path), SourceFiles.Sha256(server.SeedMergedFile("resume.bin")));
        Assert.False(result.Restarted);
        Assert.Contains(Observer.Messages, m => m.Level == TransferMessageLevel.Verbose && m.Text.Contains("cannot be asked which chunks it holds", StringComparison.Ordinal));
        var secondRun = server.ChunkPosts.Skip(firstRun.Count).ToList();
        var sentAgain = secondRun.Select(l => l.Chunk!.Value).Where(heldAfterFirst.Contains).Distinct().ToList();
        Assert.True(sentAgain.Count <= connections, $"chunks the server held and got again: {string.Join(", ", sentAgain)}");
        Assert.Equal(40 - killed.Parts.Count, secondRun.Count(l => l.Status == 200));
        Assert.Equal(killed.Parts.Count * (long)Chunk, result.BytesSkipped);
    }

    [Fact]
    public async Task AFieldMapWithBaseAndMergePathTalksToAServerWithOtherNames()
    {
        await using var server = await ExistingChunkServer.StartSeedAsync(
            "--fields", "chunk=index,file=blob,md5=checksum,total_chunks=count,filename=name", "--base", "1", "--merge-path", "api/complete");
        var path = WriteSource("mapped.bin", (3L * Chunk) + 9, seed: 6);
        var options = new ChunkApiProfileOptions
        {
            Fields = new Dictionary<string, string> { ["chunk"] = "index", ["file"] = "blob", ["md5"] = "checksum", ["total_chunks"] = "count", ["filename"] = "name" },
            NumberBase = 1,
            MergePath = "api/complete",
        };

        var result = await UploadAsync(NewRequest(path, server.Url, Chunk, connections: 2, options));
        await server.WaitForQuietAsync();

        Assert.Equal(SourceFiles.Sha256(path), SourceFiles.Sha256(server.SeedMergedFile("mapped.bin")));
        Assert.Equal([1, 2, 3, 4], server.ChunkPosts.Select(l => l.Chunk!.Value).Order());
        Assert.Single(server.Log, l => l.Path == "/upload/api/complete" && l.Status == 200);
        Assert.False(result.Verified);
    }

    public static TheoryData<string, ChunkApiProfileOptions> OtherSpecs => new()
    {
        { "-ChunkApiNumberBase 1", Seed with { NumberBase = 1 } },
        { "-ChunkApiFields @{ chunk = 'index' }", Seed with { Fields = new Dictionary<string, string> { ["chunk"] = "index" } } },
        { "-ChunkApiMergePath done", Seed with { MergePath = "done" } },
    };

    [Theory]
    [MemberData(nameof(OtherSpecs))]
    public async Task AResumeWithAnotherNumberBaseFieldMapOrMergePathIsRefusedWithTheParametersToGiveAgain(string changed, ChunkApiProfileOptions other)
    {
        // Another base would shift every chunk number, another field map or merge path talk to another server: refused.
        await using var server = await ExistingChunkServer.StartSeedAsync("--delay-ms", "40");
        var path = WriteSource("spec.bin", 16L * Chunk, seed: 21);
        await UploadUntilCancelledAsync(server, NewRequest(path, server.Url, Chunk, connections: 1, Seed), afterChunks: 2);
        var state = File.ReadAllText(UploadStateStore.BesidePath(path));
        var before = server.Log.Count;

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(NewRequest(path, server.Url, Chunk, connections: 1, other)));
        await server.WaitForQuietAsync();

        Assert.Equal(TransferErrorKind.InvalidState, error.Kind);
        Assert.Contains("-ChunkApiProfile Seed -ChunkApiNumberBase 0 -ChunkApiMergePath merge", error.Message, StringComparison.Ordinal);
        Assert.Contains(changed, error.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
        Assert.Equal(state, File.ReadAllText(UploadStateStore.BesidePath(path)));
        Assert.Equal(before, server.Log.Count);
    }

    [Fact]
    public async Task AServerThatRefusesTheFieldsIsAnHttpErrorWithWhatItSaid()
    {
        await using var server = await ExistingChunkServer.StartSeedAsync("--fields", "chunk=index");
        var path = WriteSource("refused.bin", 10, seed: 7);

        var error = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(NewRequest(path, server.Url, Chunk, connections: 1, Seed)));

        Assert.Equal(TransferErrorKind.HttpError, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains("The server said: bad request", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(UploadStateStore.BesidePath(path)), "the state stays for a -Resume once the server is fixed");
    }

    [Fact]
    public async Task HeadersAndCredentialsGoWithEveryChunkAndTheMergeAsForEveryProtocol()
    {
        await using var server = await ExistingChunkServer.StartSeedAsync("--basic", "alice:s3cret");
        var path = WriteSource("auth.bin", (2L * Chunk) + 1, seed: 8);
        var bare = NewRequest(path, server.Url, Chunk, connections: 2, Seed);

        var refused = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(bare));
        Assert.Equal(TransferErrorKind.AccessDenied, refused.Kind);
        Assert.False(File.Exists(server.SeedMergedFile("auth.bin")));

        var authorized = bare with
        {
            Credential = new System.Net.NetworkCredential("alice", "s3cret"),
            AllowUnencryptedAuthentication = true,
            Headers = new Dictionary<string, string> { ["X-Api-Key"] = "k" },
        };
        var result = await UploadAsync(authorized);
        await server.WaitForQuietAsync();

        Assert.Equal(SourceFiles.Sha256(path), SourceFiles.Sha256(server.SeedMergedFile("auth.bin")));
        Assert.Equal(3, server.ChunkPosts.Count(l => l.Status == 200));
        Assert.Single(server.Log, l => l.Path == "/upload/merge" && l.Status == 200);
        Assert.False(result.Verified);
    }

    [Fact]
    public async Task TheStandardProtocolAgainstSuchAServerSaysWhichParameterSpeaksToIt()
    {
        await using var server = await ExistingChunkServer.StartSeedAsync();
        var path = WriteSource("standard.bin", 10, seed: 9);
        var request = NewRequest(path, server.Url, Chunk, connections: 1, new ChunkApiProfileOptions());
        using var client = TransferHttpClientFactory.Create(1);
        using var protocol = new ChunkApiProtocol(client, request, Observer);

        var error = await Assert.ThrowsAsync<TransferException>(
            () => new UploadEngine(client, TimeProvider.System, Observer) { PerUserStateFolder = Dir.File("state") }.UploadAsync(request, protocol, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains("does not follow the chunk API", error.Message, StringComparison.Ordinal);
        Assert.Contains("-ChunkApiProfile Seed, Flow or Resumable", error.Message, StringComparison.Ordinal);
    }
}
