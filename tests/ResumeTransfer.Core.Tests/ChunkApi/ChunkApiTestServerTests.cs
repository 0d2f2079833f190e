using System.Net;
using System.Text.Json;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>The chunk API as the shared <see cref="TestServerHost"/> exposes it to Pester: /chunks, /_chunklog and its storage.</summary>
[Collection(TestServerCollection.Name)]
public sealed class ChunkApiTestServerTests : IDisposable
{
    private readonly TestServerFixture _fixture;
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(30) };

    public ChunkApiTestServerTests(TestServerFixture fixture)
    {
        _fixture = fixture;
    }

    private TestServerHost Server => _fixture.Server;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task ChunkLogServesTheReceiversEntriesForOneUploadAndTheStorageHoldsItsChunks()
    {
        var calls = new ChunkApiCalls(_client, Server.ChunkApiUri);
        var id = ChunkApiCalls.NewUploadId();
        var other = ChunkApiCalls.NewUploadId();
        var file = ChunkApiCalls.RandomBytes(1500, 31);
        await calls.PostChunkAsync(id, "log.bin", file.Length, 1000, 1, ChunkApiCalls.Slice(file, 1000, 1));
        await calls.PostChunkAsync(id, "log.bin", file.Length, 1000, 1, ChunkApiCalls.Slice(file, 1000, 1));
        await calls.StatusAsync(id);
        await calls.StatusAsync(other);

        using var response = await _client.GetAsync(Server.Url($"_chunklog?upload_id={id}"));
        var json = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(json);
        var entries = document.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("operation").GetString(), e.GetProperty("uploadId").GetString(), e.GetProperty("chunk").ValueKind == JsonValueKind.Null ? (long?)null : e.GetProperty("chunk").GetInt64(), e.GetProperty("statusCode").GetInt32(), e.GetProperty("bytes").GetInt64()))
            .ToList();
        Assert.Equal(
            new (string?, string?, long?, int, long)[] { ("Chunk", id, 1, 201, 500), ("Chunk", id, 1, 200, 500), ("Status", id, null, 200, 0) },
            entries);

        using var all = JsonDocument.Parse(await _client.GetStringAsync(Server.Url("_chunklog")));
        Assert.Contains(all.RootElement.EnumerateArray(), e => e.GetProperty("uploadId").GetString() == other && e.GetProperty("error").GetString() == "upload_not_found");

        var stored = Assert.Single(Directory.GetFiles(Path.Combine(Server.ChunkStorageDirectory, id, "chunks")));
        Assert.Equal("1." + ChunkApiCalls.Md5(ChunkApiCalls.Slice(file, 1000, 1)), Path.GetFileName(stored));
    }
}
