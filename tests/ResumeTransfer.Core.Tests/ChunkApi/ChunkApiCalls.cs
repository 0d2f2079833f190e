using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>One answer of the receiver: status and parsed JSON body (default when there was none).</summary>
public sealed record ChunkApiAnswer(HttpStatusCode Status, JsonElement Body)
{
    public string? Error => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetString() : null;

    public long[] Longs(string name) => [.. Body.GetProperty(name).EnumerateArray().Select(e => e.GetInt64())];

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>Raw chunk API calls with HttpClient, as a client written from docs/chunk-api.md would make them.</summary>
public sealed class ChunkApiCalls
{
    private readonly HttpClient _client;
    private readonly Uri _url;

    public ChunkApiCalls(HttpClient client, Uri url)
    {
        _client = client;
        _url = url;
    }

    public static string NewUploadId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The bytes of chunk <paramref name="index"/> of <paramref name="file"/>.</summary>
    public static byte[] Slice(byte[] file, int chunkSize, int index) =>
        file.AsSpan(index * chunkSize, Math.Min(chunkSize, file.Length - (index * chunkSize))).ToArray();

    /// <summary>POSTs one chunk; every field may be overridden (null keeps the right value, "" leaves the part out).</summary>
    public async Task<ChunkApiAnswer> PostChunkAsync(
        string uploadId,
        string fileName,
        long totalSize,
        long chunkSize,
        long index,
        byte[] bytes,
        string? md5 = null,
        long? totalChunks = null,
        bool fileFirst = false,
        IEnumerable<KeyValuePair<string, string>>? extraParts = null)
    {
        var count = totalChunks ?? (totalSize == 0 ? 1 : (totalSize + chunkSize - 1) / chunkSize);
        var fields = new List<KeyValuePair<string, string>>
        {
            new("upload_id", uploadId),
            new("filename", fileName),
            new("total_size", totalSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("chunk_size", chunkSize.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("total_chunks", count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("chunk", index.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("md5", md5 ?? Md5(bytes)),
        };
        fields.AddRange(extraParts ?? []);

        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (fileFirst)
        {
            form.Add(file, "file", $"chunk_{index}");
        }

        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        if (!fileFirst)
        {
            form.Add(file, "file", $"chunk_{index}");
        }

        using var response = await _client.PostAsync(_url, form);
        return await ReadAsync(response);
    }

    public Task<ChunkApiAnswer> StatusAsync(string uploadId) => GetAsync($"{_url}/status?upload_id={Uri.EscapeDataString(uploadId)}");

    public async Task<ChunkApiAnswer> MergeAsync(string uploadId, string fileName, string? sha256 = null)
    {
        var url = $"{_url}/merge?upload_id={Uri.EscapeDataString(uploadId)}&filename={Uri.EscapeDataString(fileName)}";
        if (sha256 is not null)
        {
            url += $"&sha256={sha256}";
        }

        using var response = await _client.PostAsync(url, content: null);
        return await ReadAsync(response);
    }

    public async Task<ChunkApiAnswer> DeleteAsync(string uploadId)
    {
        using var response = await _client.DeleteAsync($"{_url}?upload_id={Uri.EscapeDataString(uploadId)}");
        return await ReadAsync(response);
    }

    /// <summary>Sends every chunk of <paramref name="file"/> in order and expects 201 for each.</summary>
    public async Task SendAllAsync(string uploadId, string fileName, byte[] file, int chunkSize)
    {
        var count = file.Length == 0 ? 1 : (file.Length + chunkSize - 1) / chunkSize;
        for (var i = 0; i < count; i++)
        {
            var answer = await PostChunkAsync(uploadId, fileName, file.Length, chunkSize, i, Slice(file, chunkSize, i));
            if (answer.Status != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"chunk {i}: {answer}");
            }
        }
    }

    public async Task<ChunkApiAnswer> GetAsync(string url)
    {
        using var response = await _client.GetAsync(url);
        return await ReadAsync(response);
    }

    private static async Task<ChunkApiAnswer> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        if (text.Length > 0 && response.Content.Headers.ContentType?.MediaType != "application/json")
        {
            throw new InvalidOperationException($"Answer {(int)response.StatusCode} is not JSON: {response.Content.Headers.ContentType} {text}");
        }

        return new ChunkApiAnswer(response.StatusCode, body);
    }
}
