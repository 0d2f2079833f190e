using System;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// A chunk API response read to its end: the status and, when the body is a JSON object, the object, its
/// <c>error</c> code and <c>message</c> (docs/chunk-api.md, "Errors"). Answers are small, so they are read whole, through
/// <see cref="BoundedContentReader"/>.
/// </summary>
internal sealed class ChunkApiAnswer : IDisposable
{
    private readonly JsonDocument? document;

    private ChunkApiAnswer(HttpResponseMessage response, JsonDocument? document)
    {
        Response = response;
        this.document = document;
        Status = (int)response.StatusCode;
        if (document is { RootElement.ValueKind: JsonValueKind.Object } json)
        {
            Error = String(json.RootElement, "error");
            Message = String(json.RootElement, "message");
        }
    }

    /// <summary>The response (headers only; its body has been read).</summary>
    public HttpResponseMessage Response { get; }

    public int Status { get; }

    /// <summary>The error code, when the body is a chunk API error.</summary>
    public string? Error { get; }

    /// <summary>The server's explanation, when it sent one.</summary>
    public string? Message { get; }

    /// <summary>The JSON object of the body, when it was one.</summary>
    public JsonElement? Body => document is { RootElement.ValueKind: JsonValueKind.Object } json ? json.RootElement : null;

    public static async Task<ChunkApiAnswer> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        JsonDocument? document = null;
        var mediaType = response.Content?.Headers.ContentType?.MediaType;
        if (response.Content is not null && mediaType is not null && mediaType.EndsWith("json", StringComparison.OrdinalIgnoreCase))
        {
            // An error answer too large to read whole is judged by its status alone; a success answer must be read.
            byte[]? bytes;
            if (response.IsSuccessStatusCode)
            {
                var where = response.RequestMessage?.RequestUri is { } uri ? HttpOrigin.ForDisplay(uri).AbsoluteUri : "the chunk API server";
                bytes = await BoundedContentReader.ReadAsync(response.Content, BoundedContentReader.AnswerLimit, $"The answer of {where}", cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var (prefix, complete) = await BoundedContentReader.ReadPrefixAsync(response.Content, BoundedContentReader.AnswerLimit, cancellationToken).ConfigureAwait(false);
                bytes = complete ? prefix : null;
            }

            try
            {
                document = bytes is not { Length: > 0 } ? null : JsonDocument.Parse(bytes);
            }
            catch (JsonException)
            {
                // Not JSON after all: treated like any other body.
            }
        }

        return new ChunkApiAnswer(response, document);
    }

    /// <summary>A string member of the body, or null.</summary>
    public string? GetString(string name) => Body is { } body ? String(body, name) : null;

    /// <summary>An integer member of the body, or null.</summary>
    public long? GetInt64(string name) =>
        Body is { } body && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;

    public void Dispose()
    {
        document?.Dispose();
        Response.Dispose();
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
