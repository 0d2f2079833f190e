using System.Net;
using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.TestServer.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>Starts one receiver for a test class; every test uses its own upload ids.</summary>
public sealed class ChunkApiServerFixture : IAsyncLifetime
{
    private ChunkApiServer? _server;

    public ChunkApiServer Server => _server ?? throw new InvalidOperationException("not started");

    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public ChunkApiCalls Calls => new(Client, Server.Url);

    public async Task InitializeAsync() => _server = await ChunkApiServer.StartAsync(maxChunkSize: 1024 * 1024);

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

/// <summary>The reference receiver against docs/chunk-api.md, over real HTTP.</summary>
public sealed class ChunkApiReceiverTests : IClassFixture<ChunkApiServerFixture>
{
    private const int ChunkSize = 1000;
    private readonly ChunkApiServerFixture _fixture;

    public ChunkApiReceiverTests(ChunkApiServerFixture fixture)
    {
        _fixture = fixture;
    }

    private ChunkApiCalls Api => _fixture.Calls;

    private string Storage => _fixture.Server.StorageDirectory;

    [Fact]
    public async Task ChunksAreStoredAndStatusListsThemAscending()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(3500, 1);

        Assert.Equal(HttpStatusCode.NotFound, (await Api.StatusAsync(id)).Status);
        foreach (var i in new[] { 3, 0, 2 })
        {
            var answer = await Api.PostChunkAsync(id, "data.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i));
            Assert.Equal(HttpStatusCode.Created, answer.Status);
            Assert.Equal(i, answer.Body.GetProperty("chunk").GetInt64());
            Assert.Equal(ChunkApiCalls.Md5(ChunkApiCalls.Slice(file, ChunkSize, i)), answer.Body.GetProperty("md5").GetString());
            Assert.Equal(id, answer.Body.GetProperty("upload_id").GetString());
        }

        var status = await Api.StatusAsync(id);
        Assert.Equal(HttpStatusCode.OK, status.Status);
        Assert.Equal(new long[] { 0L, 2L, 3L }, status.Longs("received"));
        Assert.Equal("data.bin", status.Body.GetProperty("filename").GetString());
        Assert.Equal(ChunkSize, status.Body.GetProperty("chunk_size").GetInt64());
        Assert.Equal(3500, status.Body.GetProperty("total_size").GetInt64());
        Assert.Equal(4, status.Body.GetProperty("total_chunks").GetInt64());
        Assert.False(status.Body.GetProperty("complete").GetBoolean());
        Assert.True(DateTimeOffset.Parse(status.Body.GetProperty("expires").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddHours(23));
    }

    [Fact]
    public async Task StatusListsTheSizeAndMd5OfEveryHeldChunkUntilTheMergeConsumesThem()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(3500, 21);
        foreach (var i in new[] { 3, 1 })
        {
            Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "sums.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i))).Status);
        }

        var status = await Api.StatusAsync(id);

        Assert.Equal(new long[] { 1L, 3L }, status.Longs("received"));
        var chunks = status.Body.GetProperty("chunks").EnumerateArray()
            .Select(c => (c.GetProperty("index").GetInt64(), c.GetProperty("size").GetInt64(), c.GetProperty("md5").GetString()))
            .ToList();
        Assert.Equal(
            new (long, long, string?)[] { (1L, 1000L, ChunkApiCalls.Md5(ChunkApiCalls.Slice(file, ChunkSize, 1))), (3L, 500L, ChunkApiCalls.Md5(ChunkApiCalls.Slice(file, ChunkSize, 3))) },
            chunks);

        foreach (var i in new[] { 0, 2 })
        {
            await Api.PostChunkAsync(id, "sums.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i));
        }

        Assert.Equal(HttpStatusCode.OK, (await Api.MergeAsync(id, "sums.bin", ChunkApiCalls.Sha256(file))).Status);
        var merged = await Api.StatusAsync(id);
        Assert.True(merged.Body.GetProperty("complete").GetBoolean());
        Assert.Equal(new long[] { 0L, 1L, 2L, 3L }, merged.Longs("received"));
        Assert.Empty(merged.Body.GetProperty("chunks").EnumerateArray());
    }

    [Fact]
    public async Task ResendingAHeldChunkWithTheSameMd5Answers200AndChangesNothing()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1500, 2);
        var chunk = ChunkApiCalls.Slice(file, ChunkSize, 0);

        Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "a.bin", file.Length, ChunkSize, 0, chunk)).Status);
        var again = await Api.PostChunkAsync(id, "a.bin", file.Length, ChunkSize, 0, chunk);

        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(1000, again.Body.GetProperty("size").GetInt64());
        Assert.Equal(new long[] { 0L }, (await Api.StatusAsync(id)).Longs("received"));
        Assert.Single(Directory.GetFiles(Path.Combine(Storage, id, "chunks")));
    }

    [Fact]
    public async Task AWrongMd5Is400Md5MismatchAndNothingIsStored()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(2500, 3);
        var chunk1 = ChunkApiCalls.Slice(file, ChunkSize, 1);

        // First request of the upload: the upload must not even come to exist.
        var first = await Api.PostChunkAsync(id, "b.bin", file.Length, ChunkSize, 1, chunk1, md5: new string('0', 32));
        Assert.Equal(HttpStatusCode.BadRequest, first.Status);
        Assert.Equal("md5_mismatch", first.Error);
        Assert.Equal(ChunkApiCalls.Md5(chunk1), first.Body.GetProperty("actual").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Api.StatusAsync(id)).Status);

        Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "b.bin", file.Length, ChunkSize, 0, ChunkApiCalls.Slice(file, ChunkSize, 0))).Status);
        var damaged = (byte[])chunk1.Clone();
        damaged[10] ^= 0xFF;
        var second = await Api.PostChunkAsync(id, "b.bin", file.Length, ChunkSize, 1, damaged, md5: ChunkApiCalls.Md5(chunk1));
        Assert.Equal(HttpStatusCode.BadRequest, second.Status);
        Assert.Equal("md5_mismatch", second.Error);
        Assert.Equal(new long[] { 0L }, (await Api.StatusAsync(id)).Longs("received"));
        Assert.Single(Directory.GetFiles(Path.Combine(Storage, id, "chunks")));
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(Storage, ".incoming")), f => new FileInfo(f).Length == damaged.Length);

        // The same chunk sent intact is then accepted.
        Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "b.bin", file.Length, ChunkSize, 1, chunk1)).Status);
    }

    [Fact]
    public async Task OtherBytesForAHeldIndexAre409ChunkConflictAndTheFirstCopyStays()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1200, 4);
        var other = ChunkApiCalls.RandomBytes(1200, 5);
        await Api.SendAllAsync(id, "c.bin", file, ChunkSize);

        var conflict = await Api.PostChunkAsync(id, "c.bin", other.Length, ChunkSize, 0, ChunkApiCalls.Slice(other, ChunkSize, 0));

        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal("chunk_conflict", conflict.Error);
        var merged = await Api.MergeAsync(id, "c.bin", ChunkApiCalls.Sha256(file));
        Assert.Equal(HttpStatusCode.OK, merged.Status);
        Assert.Equal(file, File.ReadAllBytes(Path.Combine(Storage, id, "merged", "c.bin")));
    }

    [Theory]
    [InlineData("filename")]
    [InlineData("chunk_size")]
    [InlineData("total_size")]
    public async Task AChunkWithOtherUploadParametersIs409ParametersConflict(string changed)
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(4000, 6);
        Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "d.bin", file.Length, ChunkSize, 0, ChunkApiCalls.Slice(file, ChunkSize, 0))).Status);

        var answer = changed switch
        {
            "filename" => await Api.PostChunkAsync(id, "e.bin", file.Length, ChunkSize, 1, ChunkApiCalls.Slice(file, ChunkSize, 1)),
            "chunk_size" => await Api.PostChunkAsync(id, "d.bin", file.Length, 2000, 1, file.AsSpan(2000, 2000).ToArray()),
            _ => await Api.PostChunkAsync(id, "d.bin", 3000, ChunkSize, 1, ChunkApiCalls.Slice(file, ChunkSize, 1)),
        };

        Assert.Equal(HttpStatusCode.Conflict, answer.Status);
        Assert.Equal("parameters_conflict", answer.Error);
        Assert.Contains(changed, answer.Body.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(new long[] { 0L }, (await Api.StatusAsync(id)).Longs("received"));
    }

    [Fact]
    public async Task MergeWithChunksMissingIs409ListingThem()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(5001, 7);
        foreach (var i in new[] { 0, 2, 3 })
        {
            await Api.PostChunkAsync(id, "f.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i));
        }

        var merge = await Api.MergeAsync(id, "f.bin", ChunkApiCalls.Sha256(file));

        Assert.Equal(HttpStatusCode.Conflict, merge.Status);
        Assert.Equal("chunks_missing", merge.Error);
        Assert.Equal(new long[] { 1L, 4L, 5L }, merge.Longs("missing"));
        Assert.False(Directory.Exists(Path.Combine(Storage, id, "merged")));
        Assert.Equal(new long[] { 0L, 2L, 3L }, (await Api.StatusAsync(id)).Longs("received"));
    }

    [Fact]
    public async Task MergeJoinsTheChunksInOrderChecksSha256AndIsIdempotent()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(4321, 8);
        var sha = ChunkApiCalls.Sha256(file);
        for (var i = 4; i >= 0; i--)
        {
            Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "g.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i))).Status);
        }

        var wrong = await Api.MergeAsync(id, "g.bin", new string('a', 64));
        Assert.Equal((HttpStatusCode)422, wrong.Status);
        Assert.Equal("hash_mismatch", wrong.Error);
        Assert.Equal(sha, wrong.Body.GetProperty("actual").GetString());
        Assert.False(File.Exists(Path.Combine(Storage, id, "merged", "g.bin")));
        Assert.False((await Api.StatusAsync(id)).Body.GetProperty("complete").GetBoolean());

        var merged = await Api.MergeAsync(id, "g.bin", sha.ToUpperInvariant());
        Assert.Equal(HttpStatusCode.OK, merged.Status);
        Assert.Equal(sha, merged.Body.GetProperty("sha256").GetString());
        Assert.Equal(4321, merged.Body.GetProperty("size").GetInt64());
        Assert.Equal("g.bin", merged.Body.GetProperty("filename").GetString());
        Assert.Equal(file, File.ReadAllBytes(Path.Combine(Storage, id, "merged", "g.bin")));
        Assert.False(Directory.Exists(Path.Combine(Storage, id, "chunks")));

        // A repeated merge (the first answer was lost) gets the same answer, with or without the hash.
        var again = await Api.MergeAsync(id, "g.bin", sha);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.Equal(merged.Body.ToString(), again.Body.ToString());
        Assert.Equal(HttpStatusCode.OK, (await Api.MergeAsync(id, "g.bin")).Status);
        Assert.Equal("hash_mismatch", (await Api.MergeAsync(id, "g.bin", new string('b', 64))).Error);

        var status = await Api.StatusAsync(id);
        Assert.True(status.Body.GetProperty("complete").GetBoolean());
        Assert.Equal(new long[] { 0L, 1L, 2L, 3L, 4L }, status.Longs("received"));
        var late = await Api.PostChunkAsync(id, "g.bin", file.Length, ChunkSize, 0, ChunkApiCalls.Slice(file, ChunkSize, 0));
        Assert.Equal(HttpStatusCode.Conflict, late.Status);
        Assert.Equal("upload_complete", late.Error);
    }

    [Fact]
    public async Task MergeUnderAnotherFileNameIsRefusedAndUnknownUploadIs404()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(10, 9);
        await Api.SendAllAsync(id, "h.bin", file, ChunkSize);

        Assert.Equal("parameters_conflict", (await Api.MergeAsync(id, "other.bin")).Error);
        var unknown = await Api.MergeAsync(ChunkApiCalls.NewUploadId(), "h.bin");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("upload_not_found", unknown.Error);
    }

    [Fact]
    public async Task AnEmptyFileIsOneEmptyChunk()
    {
        var id = ChunkApiCalls.NewUploadId();

        var zeroChunks = await Api.PostChunkAsync(id, "empty.txt", 0, ChunkSize, 0, [], totalChunks: 0);
        Assert.Equal("invalid_request", zeroChunks.Error);

        Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(id, "empty.txt", 0, ChunkSize, 0, [])).Status);
        var merged = await Api.MergeAsync(id, "empty.txt", ChunkApiCalls.Sha256([]));

        Assert.Equal(HttpStatusCode.OK, merged.Status);
        Assert.Equal(0, merged.Body.GetProperty("size").GetInt64());
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", merged.Body.GetProperty("sha256").GetString());
        Assert.Empty(File.ReadAllBytes(Path.Combine(Storage, id, "merged", "empty.txt")));
    }

    [Theory]
    [InlineData("../escape.txt")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("sub/file.txt")]
    [InlineData("..\\escape.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("C:evil.txt")]
    [InlineData("nul.txt")]
    [InlineData("bell\u0007.txt")]
    [InlineData("trailing.")]
    [InlineData("")]
    public async Task APathOrUnsafeFileNameIs400InvalidFilenameAndNothingIsWritten(string name)
    {
        var id = ChunkApiCalls.NewUploadId();
        var bytes = ChunkApiCalls.RandomBytes(100, 10);

        var chunk = await Api.PostChunkAsync(id, name, bytes.Length, ChunkSize, 0, bytes);

        Assert.Equal(HttpStatusCode.BadRequest, chunk.Status);
        Assert.Equal("invalid_filename", chunk.Error);
        Assert.False(Directory.Exists(Path.Combine(Storage, id)));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(Storage)!, "escape.txt")));
        Assert.Equal("invalid_filename", (await Api.MergeAsync(id, name)).Error);
    }

    [Fact]
    public async Task AValidUnicodeNameWithSpacesIsKept()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1001, 11);
        await Api.SendAllAsync(id, "Bericht März 2026 (final).pdf", file, ChunkSize);

        var merged = await Api.MergeAsync(id, "Bericht März 2026 (final).pdf", ChunkApiCalls.Sha256(file));

        Assert.Equal(HttpStatusCode.OK, merged.Status);
        Assert.Equal("Bericht März 2026 (final).pdf", merged.Body.GetProperty("filename").GetString());
        Assert.Equal(file, File.ReadAllBytes(Path.Combine(Storage, id, "merged", "Bericht März 2026 (final).pdf")));
    }

    [Fact]
    public async Task TwoUploadsOfTheSameFileNameNeverMix()
    {
        var alice = ChunkApiCalls.NewUploadId();
        var bob = ChunkApiCalls.NewUploadId();
        var aliceFile = ChunkApiCalls.RandomBytes(3000, 12);
        var bobFile = ChunkApiCalls.RandomBytes(2500, 13);

        // Interleaved, as two users at the same time would send them.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(alice, "report.pdf", aliceFile.Length, ChunkSize, i, ChunkApiCalls.Slice(aliceFile, ChunkSize, i))).Status);
            Assert.Equal(HttpStatusCode.Created, (await Api.PostChunkAsync(bob, "report.pdf", bobFile.Length, ChunkSize, i, ChunkApiCalls.Slice(bobFile, ChunkSize, i))).Status);
        }

        Assert.Equal(ChunkApiCalls.Sha256(aliceFile), (await Api.MergeAsync(alice, "report.pdf", ChunkApiCalls.Sha256(aliceFile))).Body.GetProperty("sha256").GetString());
        Assert.Equal(ChunkApiCalls.Sha256(bobFile), (await Api.MergeAsync(bob, "report.pdf", ChunkApiCalls.Sha256(bobFile))).Body.GetProperty("sha256").GetString());
        Assert.Equal(aliceFile, File.ReadAllBytes(Path.Combine(Storage, alice, "merged", "report.pdf")));
        Assert.Equal(bobFile, File.ReadAllBytes(Path.Combine(Storage, bob, "merged", "report.pdf")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789")]
    [InlineData("abc")]
    [InlineData("../../../../../../../../../../tmp")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public async Task AMalformedUploadIdIsRefused(string id)
    {
        var bytes = ChunkApiCalls.RandomBytes(10, 14);

        var chunk = await Api.PostChunkAsync(id, "x.bin", bytes.Length, ChunkSize, 0, bytes);
        var status = await Api.StatusAsync(id);

        var expected = id.Length == 0 ? "invalid_request" : "invalid_upload_id";
        Assert.Equal(HttpStatusCode.BadRequest, chunk.Status);
        Assert.Equal(expected, chunk.Error);
        Assert.Equal(expected, status.Error);
        Assert.Equal(expected, (await Api.MergeAsync(id, "x.bin")).Error);
    }

    [Fact]
    public async Task ChunksOfTheWrongLengthAreRefused()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(2500, 15);

        var tooBig = await Api.PostChunkAsync(id, "i.bin", file.Length, ChunkSize, 0, file.AsSpan(0, 1001).ToArray());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.Status);
        Assert.Equal("chunk_too_large", tooBig.Error);

        var muchTooBig = await Api.PostChunkAsync(id, "i.bin", file.Length, ChunkSize, 0, ChunkApiCalls.RandomBytes(300_000, 16));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, muchTooBig.Status);

        var shortMiddle = await Api.PostChunkAsync(id, "i.bin", file.Length, ChunkSize, 1, file.AsSpan(1000, 999).ToArray());
        Assert.Equal(HttpStatusCode.BadRequest, shortMiddle.Status);
        Assert.Equal("chunk_length_mismatch", shortMiddle.Error);

        var fullLast = await Api.PostChunkAsync(id, "i.bin", file.Length, ChunkSize, 2, file.AsSpan(1500, 1000).ToArray());
        Assert.Equal("chunk_length_mismatch", fullLast.Error);
        Assert.Equal(500, fullLast.Body.GetProperty("expected").GetInt64());

        var beyond = await Api.PostChunkAsync(id, "i.bin", file.Length, ChunkSize, 3, file.AsSpan(0, 500).ToArray());
        Assert.Equal("invalid_request", beyond.Error);
        Assert.Equal("chunk", beyond.Body.GetProperty("field").GetString());

        var serverLimit = await Api.PostChunkAsync(id, "i.bin", 4L << 20, 2L << 20, 0, [1, 2, 3]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, serverLimit.Status);
        Assert.Equal(1024 * 1024, serverLimit.Body.GetProperty("limit").GetInt64());

        Assert.Equal(HttpStatusCode.NotFound, (await Api.StatusAsync(id)).Status);
    }

    [Theory]
    [InlineData("total_chunks", "4")]
    [InlineData("chunk", "-1")]
    [InlineData("chunk", "01")]
    [InlineData("chunk_size", "0")]
    [InlineData("md5", "xyz")]
    public async Task MalformedFieldsAre400InvalidRequestNamingTheField(string field, string value)
    {
        var id = ChunkApiCalls.NewUploadId();
        var bytes = ChunkApiCalls.RandomBytes(1000, 17);

        var answer = field switch
        {
            "total_chunks" => await Api.PostChunkAsync(id, "j.bin", 2000, ChunkSize, 0, bytes, totalChunks: long.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            _ => await SendWithRawFieldAsync(id, bytes, field, value),
        };

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_request", answer.Error);
        Assert.Equal(field, answer.Body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task PartsInAnyOrderAndUnknownPartsAreAccepted()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1500, 18);

        var fileFirst = await Api.PostChunkAsync(id, "k.bin", file.Length, ChunkSize, 0, ChunkApiCalls.Slice(file, ChunkSize, 0), fileFirst: true);
        var withExtra = await Api.PostChunkAsync(id, "k.bin", file.Length, ChunkSize, 1, ChunkApiCalls.Slice(file, ChunkSize, 1), extraParts: [new("meta_owner", "alice")]);

        Assert.Equal(HttpStatusCode.Created, fileFirst.Status);
        Assert.Equal(HttpStatusCode.Created, withExtra.Status);
        Assert.Equal(HttpStatusCode.OK, (await Api.MergeAsync(id, "k.bin", ChunkApiCalls.Sha256(file))).Status);
    }

    [Fact]
    public async Task ParallelChunksOfOneUploadAreAllStored()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(32 * ChunkSize, 19);

        var answers = await Task.WhenAll(Enumerable.Range(0, 32).Select(i =>
            Api.PostChunkAsync(id, "l.bin", file.Length, ChunkSize, i, ChunkApiCalls.Slice(file, ChunkSize, i))));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.Status));
        Assert.Equal(ChunkApiCalls.Sha256(file), (await Api.MergeAsync(id, "l.bin")).Body.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task TheSameChunkSentTwiceAtOnceIsStoredOnce()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(ChunkSize, 20);

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Api.PostChunkAsync(id, "m.bin", file.Length, ChunkSize, 0, file)));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Created);
        Assert.Equal(7, answers.Count(a => a.Status == HttpStatusCode.OK));
        Assert.Single(Directory.GetFiles(Path.Combine(Storage, id, "chunks")));
    }

    [Fact]
    public async Task DeleteForgetsTheUpload()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1500, 21);
        await Api.SendAllAsync(id, "n.bin", file, ChunkSize);

        Assert.Equal(HttpStatusCode.NoContent, (await Api.DeleteAsync(id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await Api.StatusAsync(id)).Status);
        Assert.Equal("upload_not_found", (await Api.DeleteAsync(id)).Error);
        Assert.False(Directory.Exists(Path.Combine(Storage, id)));
    }

    [Fact]
    public async Task TheRequestLogRecordsEveryCall()
    {
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1500, 22);
        await Api.SendAllAsync(id, "o.bin", file, ChunkSize);
        await Api.PostChunkAsync(id, "o.bin", file.Length, ChunkSize, 1, ChunkApiCalls.Slice(file, ChunkSize, 1));
        await Api.StatusAsync(id);
        await Api.MergeAsync(id, "o.bin");

        var log = _fixture.Server.Log.ForUpload(id);

        Assert.Equal(
            ["Chunk 0 201 -", "Chunk 1 201 -", "Chunk 1 200 -", "Status  200 -", "Merge  200 -"],
            log.Select(e => $"{e.Operation} {e.Chunk} {e.StatusCode} {e.Error ?? "-"}"));
        Assert.Equal(500, log[1].Bytes);
    }

    private async Task<ChunkApiAnswer> SendWithRawFieldAsync(string id, byte[] bytes, string field, string value)
    {
        using var form = new MultipartFormDataContent();
        var fields = new Dictionary<string, string>
        {
            ["upload_id"] = id,
            ["filename"] = "j.bin",
            ["total_size"] = "2000",
            ["chunk_size"] = "1000",
            ["total_chunks"] = "2",
            ["chunk"] = "0",
            ["md5"] = ChunkApiCalls.Md5(bytes),
        };
        fields[field] = value;
        foreach (var (name, text) in fields)
        {
            form.Add(new StringContent(text), name);
        }

        form.Add(new ByteArrayContent(bytes), "file", "chunk_0");
        using var response = await _fixture.Client.PostAsync(_fixture.Server.Url, form);
        var json = await response.Content.ReadAsStringAsync();
        return new ChunkApiAnswer(response.StatusCode, System.Text.Json.JsonDocument.Parse(json).RootElement.Clone());
    }
}

/// <summary>What the receiver keeps across restarts and forgets after expiry (each test has its own server).</summary>
public sealed class ChunkApiReceiverLifetimeTests
{
    [Fact]
    public async Task ChunksSurviveAServerRestart()
    {
        var server = await ChunkApiServer.StartAsync();
        using var client = new HttpClient();
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(3000, 30);
        try
        {
            var api = new ChunkApiCalls(client, server.Url);
            await api.PostChunkAsync(id, "r.bin", file.Length, 1000, 0, ChunkApiCalls.Slice(file, 1000, 0));
            await api.PostChunkAsync(id, "r.bin", file.Length, 1000, 2, ChunkApiCalls.Slice(file, 1000, 2));

            server = await server.RestartAsync();
            api = new ChunkApiCalls(client, server.Url);

            Assert.Equal(new long[] { 0L, 2L }, (await api.StatusAsync(id)).Longs("received"));
            await api.PostChunkAsync(id, "r.bin", file.Length, 1000, 1, ChunkApiCalls.Slice(file, 1000, 1));
            Assert.Equal(HttpStatusCode.OK, (await api.MergeAsync(id, "r.bin", ChunkApiCalls.Sha256(file))).Status);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task TheMiddlewareMountServesTheSameApi()
    {
        await using var server = await ChunkApiServer.StartAsync(asMiddleware: true);
        using var client = new HttpClient();
        var api = new ChunkApiCalls(client, server.Url);
        var id = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(2500, 32);

        await api.SendAllAsync(id, "mw.bin", file, 1000);
        Assert.Equal(new long[] { 0, 1, 2 }, (await api.StatusAsync(id)).Longs("received"));
        Assert.Equal(ChunkApiCalls.Sha256(file), (await api.MergeAsync(id, "mw.bin", ChunkApiCalls.Sha256(file))).Body.GetProperty("sha256").GetString());
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync(id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(server.Url + "/other")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await client.GetAsync(server.Url + "/merge")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(new Uri(server.Url, "/elsewhere"))).StatusCode);
    }

    [Fact]
    public async Task AnUploadUntouchedForLongerThanTheExpiryIsForgotten()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await ChunkApiServer.StartAsync(time: time);
        using var client = new HttpClient();
        var api = new ChunkApiCalls(client, server.Url);
        var file = ChunkApiCalls.RandomBytes(2000, 31);
        var stale = ChunkApiCalls.NewUploadId();
        var merged = ChunkApiCalls.NewUploadId();
        await api.PostChunkAsync(stale, "s.bin", file.Length, 1000, 0, ChunkApiCalls.Slice(file, 1000, 0));
        await api.SendAllAsync(merged, "s.bin", file, 1000);
        Assert.Equal(HttpStatusCode.OK, (await api.MergeAsync(merged, "s.bin")).Status);

        time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(HttpStatusCode.OK, (await api.StatusAsync(stale)).Status);
        Assert.Equal(HttpStatusCode.OK, (await api.MergeAsync(merged, "s.bin")).Status);
        time.Advance(TimeSpan.FromHours(2));
        Assert.Equal(HttpStatusCode.OK, (await api.StatusAsync(merged)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await api.StatusAsync(stale)).Status);
        Assert.Equal("upload_not_found", (await api.MergeAsync(stale, "s.bin")).Error);
        Assert.False(Directory.Exists(Path.Combine(server.StorageDirectory, stale)));

        // A chunk for the forgotten id starts a new, empty upload.
        await api.PostChunkAsync(stale, "s.bin", file.Length, 1000, 1, ChunkApiCalls.Slice(file, 1000, 1));
        Assert.Equal(new long[] { 1L }, (await api.StatusAsync(stale)).Longs("received"));
    }
}
