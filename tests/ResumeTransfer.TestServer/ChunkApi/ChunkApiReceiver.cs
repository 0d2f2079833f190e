using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>The four calls of docs/chunk-api.md over one <see cref="ChunkStore"/>: HTTP in, JSON out.</summary>
internal sealed class ChunkApiReceiver
{
    // Room for the text parts and multipart framing around the largest chunk.
    private const long RequestOverheadBytes = 64 * 1024;

    // Readable answers ("it's", "März"): the body is application/json, never embedded in HTML.
    private static readonly JsonSerializerOptions JsonOutput = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly ChunkStore _store;
    private readonly ChunkApiOptions _options;

    public ChunkApiReceiver(ChunkStore store, ChunkApiOptions options)
    {
        _store = store;
        _options = options;
    }

    public async Task PostChunkAsync(HttpContext context)
    {
        _store.SweepIfDue();
        var aborted = context.RequestAborted;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = _options.MaxChunkSize + RequestOverheadBytes;
        }

        using var form = new ChunkForm();
        int status;
        JsonObject body;
        string? error = null;
        try
        {
            await ChunkFormReader.ReadAsync(context.Request, form, _store.IncomingDirectory, _options, aborted);
            var submission = ChunkSubmission.FromFields(form, _options);
            submission.CheckBytes(form);
            var created = await _store.StoreChunkAsync(submission.Parameters, submission.Index, submission.Md5, form.TempPath!, aborted);
            status = created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            body = new JsonObject
            {
                ["upload_id"] = submission.Parameters.UploadId,
                ["chunk"] = submission.Index,
                ["size"] = form.Length,
                ["md5"] = submission.Md5,
            };
        }
        catch (Exception ex) when (aborted.IsCancellationRequested && ex is OperationCanceledException or IOException or BadHttpRequestException)
        {
            // The client went away mid-request: nothing to answer, nothing stored.
            LogChunk(form, 0, "aborted");
            return;
        }
        catch (ChunkApiException ex)
        {
            (status, error, body) = (ex.StatusCode, ex.Code, ex.ToBody());
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            var tooLarge = ChunkSubmission.TooLarge(
                $"The request is larger than this server takes ({_options.MaxChunkSize} bytes of chunk plus framing); nothing was stored. Choose a smaller chunk size.",
                _options.MaxChunkSize);
            (status, error, body) = (tooLarge.StatusCode, tooLarge.Code, tooLarge.ToBody());
        }
        catch (Exception ex) when (ex is BadHttpRequestException or InvalidDataException or IOException)
        {
            // A malformed or truncated multipart body.
            var invalid = new ChunkApiException(StatusCodes.Status400BadRequest, ChunkApiErrorCodes.InvalidRequest, $"The multipart/form-data body could not be read: {ex.Message}");
            (status, error, body) = (invalid.StatusCode, invalid.Code, invalid.ToBody());
        }

        LogChunk(form, status, error);
        await WriteJsonAsync(context, status, body);
    }

    public Task GetStatusAsync(HttpContext context) => AnswerAsync(context, ChunkApiOperation.Status, async id =>
    {
        var upload = await _store.GetStatusAsync(id, context.RequestAborted) ?? throw ChunkApiException.NotFound(id);
        return (StatusCodes.Status200OK, new JsonObject
        {
            ["upload_id"] = id,
            ["filename"] = upload.Upload.Filename,
            ["chunk_size"] = upload.Upload.ChunkSize,
            ["total_size"] = upload.Upload.TotalSize,
            ["total_chunks"] = upload.Upload.TotalChunks,
            ["received"] = new JsonArray([.. upload.Received.Select(i => (JsonNode)JsonValue.Create(i))]),
            ["chunks"] = new JsonArray([.. upload.Chunks.Select(c => (JsonNode)new JsonObject { ["index"] = c.Index, ["size"] = c.Size, ["md5"] = c.Md5 })]),
            ["complete"] = upload.Complete,
            ["expires"] = upload.Expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        });
    });

    public Task MergeAsync(HttpContext context) => AnswerAsync(context, ChunkApiOperation.Merge, async id =>
    {
        var fileName = ChunkApiFields.ParseFileName(SingleQuery(context, "filename"));
        var sha256 = SingleQuery(context, "sha256") is { } given ? ChunkApiFields.ParseHex(given, "sha256", 64) : null;
        var result = await _store.MergeAsync(id, fileName, sha256);
        return (StatusCodes.Status200OK, new JsonObject
        {
            ["upload_id"] = id,
            ["filename"] = result.Filename,
            ["size"] = result.Size,
            ["sha256"] = result.Sha256,
        });
    });

    public Task DeleteAsync(HttpContext context) => AnswerAsync(context, ChunkApiOperation.Delete, async id =>
        await _store.DeleteAsync(id, context.RequestAborted)
            ? (StatusCodes.Status204NoContent, null)
            : throw ChunkApiException.NotFound(id));

    /// <summary>The shape of the calls addressed by <c>?upload_id=</c>: parse it, run the call, log, answer.</summary>
    private async Task AnswerAsync(HttpContext context, ChunkApiOperation operation, Func<string, Task<(int Status, JsonObject? Body)>> call)
    {
        _store.SweepIfDue();
        string? rawId = null;
        int status;
        JsonObject? body;
        try
        {
            rawId = SingleQuery(context, "upload_id");
            (status, body) = await call(ChunkApiFields.ParseUploadId(rawId));
        }
        catch (ChunkApiException ex)
        {
            (status, body) = (ex.StatusCode, ex.ToBody());
        }

        _options.Log?.Add(new ChunkApiLogEntry(_options.TimeProvider.GetUtcNow(), operation, rawId, null, status, body?["error"]?.GetValue<string>(), 0));
        if (body is null)
        {
            context.Response.StatusCode = status;
            return;
        }

        await WriteJsonAsync(context, status, body);
    }

    private static string? SingleQuery(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        if (values.Count > 1)
        {
            throw ChunkApiException.InvalidField(name, $"The query parameter '{name}' is repeated; send it once.");
        }

        return values.Count == 1 ? values[0] : null;
    }

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonObject body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body.ToJsonString(JsonOutput), context.RequestAborted);
    }

    private void LogChunk(ChunkForm form, int status, string? error)
    {
        long? index = long.TryParse(form.Field("chunk"), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        _options.Log?.Add(new ChunkApiLogEntry(_options.TimeProvider.GetUtcNow(), ChunkApiOperation.Chunk, form.Field("upload_id"), index, status, error, form.Length));
    }
}
