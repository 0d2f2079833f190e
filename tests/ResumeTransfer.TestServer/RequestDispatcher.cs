using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResumeTransfer.TestServer.ChunkApi;

namespace ResumeTransfer.TestServer;

/// <summary>Routes a request to its endpoint and records it in the <see cref="RequestLog"/>.</summary>
internal sealed class RequestDispatcher(RequestLog log, CancellationToken serverStopping, ChunkApiLog? chunkLog = null)
{
    private static readonly IPAddress OtherAddress = IPAddress.Parse("127.0.0.2");
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };
    private static readonly JsonSerializerOptions ChunkLogJson = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly FileEndpoint _files = new(new TagCounter());

    /// <summary>The minimal tus server at <c>/tus</c>.</summary>
    internal TusEndpoint Tus { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";

        // Control endpoints are not logged: /_log?tag=T must not show up in T's own log.
        if (path == "/_log")
        {
            await WriteLogAsync(context);
            return;
        }

        if (path == "/_sha256")
        {
            await WriteSha256Async(context);
            return;
        }

        if (path == "/_chunklog")
        {
            await WriteChunkLogAsync(context);
            return;
        }

        LoggedRequest entry = Record(context);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, serverStopping);
        CancellationToken token = linked.Token;
        try
        {
            if (path.StartsWith("/files/", StringComparison.Ordinal))
            {
                await _files.HandleAsync(context, entry, requireAuth: false, token);
            }
            else if (path.StartsWith("/auth/files/", StringComparison.Ordinal))
            {
                await _files.HandleAsync(context, entry, requireAuth: true, token);
            }
            else if (path == "/tus" || path.StartsWith("/tus/", StringComparison.Ordinal))
            {
                await Tus.HandleAsync(context, entry, token);
            }
            else if (path == "/redirect")
            {
                await RedirectAsync(context, entry, token);
            }
            else if (path == "/")
            {
                await WriteTextAsync(context, entry, StatusCodes.Status200OK, "ResumeTransfer test server", token);
            }
            else
            {
                await WriteTextAsync(context, entry, StatusCodes.Status404NotFound, "no such endpoint", token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away or the server is stopping: nothing to answer.
        }
        catch (Exception ex)
        {
            entry.Error = ex.ToString();
            if (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await WriteTextAsync(context, entry, StatusCodes.Status500InternalServerError, "test server bug: " + ex.Message, CancellationToken.None);
            }
            else
            {
                context.Abort();
            }
        }
    }

    internal static async Task WriteTextAsync(HttpContext context, LoggedRequest? entry, int status, string text, CancellationToken token)
    {
        context.Response.StatusCode = status;
        if (entry is not null)
        {
            entry.StatusCode = status;
        }

        byte[] body = Encoding.UTF8.GetBytes(text);
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            entry?.AddBodyBytes(body.Length);
            await context.Response.Body.WriteAsync(body, token);
        }
    }

    private LoggedRequest Record(HttpContext context)
    {
        HttpRequest request = context.Request;
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            headers[header.Key] = header.Value.ToString();
        }

        static bool Is(IPAddress? local, IPAddress address) => local is not null && (local.Equals(address) || local.Equals(address.MapToIPv6()));

        static string? Header(IHeaderDictionary h, string name) => h.TryGetValue(name, out var v) ? v.ToString() : null;

        IPAddress? local = context.Connection.LocalIpAddress;
        var entry = new LoggedRequest
        {
            Time = DateTimeOffset.UtcNow,
            Listener = Is(local, OtherAddress) ? LoggedRequest.OtherListener
                : Is(local, TestServerHost.SecureAddress) ? LoggedRequest.SecureListener
                : LoggedRequest.BaseListener,
            Method = request.Method,
            PathAndQuery = request.Path.ToUriComponent() + request.QueryString.ToUriComponent(),
            Tag = request.Query["tag"].Count > 0 ? request.Query["tag"][^1] : null,
            Range = Header(request.Headers, "Range"),
            IfRange = Header(request.Headers, "If-Range"),
            IfMatch = Header(request.Headers, "If-Match"),
            Authorization = Header(request.Headers, "Authorization"),
            Cookie = Header(request.Headers, "Cookie"),
            AcceptEncoding = Header(request.Headers, "Accept-Encoding"),
            UserAgent = Header(request.Headers, "User-Agent"),
            Headers = headers,
        };
        log.Add(entry);
        return entry;
    }

    private static async Task RedirectAsync(HttpContext context, LoggedRequest entry, CancellationToken token)
    {
        IQueryCollection query = context.Request.Query;
        string? to = query["to"].Count > 0 ? query["to"][^1] : null;
        int code = 302;
        if (query["code"].Count > 0 && !int.TryParse(query["code"][^1], NumberStyles.None, CultureInfo.InvariantCulture, out code))
        {
            code = 0;
        }

        if (string.IsNullOrEmpty(to) || code is not (301 or 302 or 303 or 307 or 308))
        {
            await WriteTextAsync(context, entry, StatusCodes.Status400BadRequest, "usage: /redirect?to=<url-encoded URL>&code=301|302|303|307|308", token);
            return;
        }

        context.Response.Headers.Location = to;
        await WriteTextAsync(context, entry, code, "redirecting to " + to, token);
    }

    private async Task WriteLogAsync(HttpContext context)
    {
        string? tag = context.Request.Query["tag"].Count > 0 ? context.Request.Query["tag"][^1] : null;
        IReadOnlyList<LoggedRequest> entries = tag is null ? log.All : log.ForTag(tag);
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, entries, Json, context.RequestAborted);
    }

    /// <summary><c>/_chunklog[?upload_id=ID]</c>: the chunk API receiver's <see cref="ChunkApiLogEntry"/> records (camelCase, operation as text).</summary>
    private async Task WriteChunkLogAsync(HttpContext context)
    {
        string? id = context.Request.Query["upload_id"].Count > 0 ? context.Request.Query["upload_id"][^1] : null;
        IReadOnlyList<ChunkApiLogEntry> entries = chunkLog is null ? [] : id is null ? chunkLog.All : chunkLog.ForUpload(id);
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, entries, ChunkLogJson, context.RequestAborted);
    }

    private static async Task WriteSha256Async(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        if (!long.TryParse(query["size"], NumberStyles.None, CultureInfo.InvariantCulture, out long size) ||
            !TryOptionalInt(query, "seed", out int seed) || !TryOptionalInt(query, "version", out int version))
        {
            await WriteTextAsync(context, null, StatusCodes.Status400BadRequest, "usage: /_sha256?size=N[&seed=S][&version=V]", context.RequestAborted);
            return;
        }

        await WriteTextAsync(context, null, StatusCodes.Status200OK, DeterministicContent.Sha256(size, seed, version), context.RequestAborted);
    }

    private static bool TryOptionalInt(IQueryCollection query, string name, out int value)
    {
        value = 1;
        return query[name].Count == 0 ||
            int.TryParse(query[name][^1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
