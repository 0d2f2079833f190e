using System.Collections.Concurrent;
using System.Globalization;

namespace ResumeTransfer.TestServer;

/// <summary>
/// A minimal tus 1.0.0 server (creation, termination; uploads kept in memory) at <c>/tus</c>, with faults no real tus
/// server shows, for client tests. The creation request's query is carried into the upload URL, so faults given to
/// <c>POST /tus?...</c> apply to the upload's HEAD and PATCH requests:
/// <c>fault=stuck</c> every PATCH is answered 204 with the unchanged Upload-Offset (its bytes dropped);
/// <c>fault=conflict&amp;headoffset=X</c> PATCHes are answered 409 and every HEAD after the first 409 answers
/// <c>Upload-Offset: X</c> as given (negative, huge or not a number);
/// <c>locationbase=&lt;url-encoded absolute URL&gt;</c> the 201's Location is that URL plus the upload id (default: a
/// relative <c>/tus/&lt;id&gt;</c>).
/// </summary>
internal sealed class TusEndpoint
{
    private const string Version = "1.0.0";
    private readonly ConcurrentDictionary<string, TusUpload> _uploads = new(StringComparer.Ordinal);

    /// <summary>The bytes the upload at <paramref name="uploadUrl"/> holds, or null when there is no such upload.</summary>
    public byte[]? Stored(Uri uploadUrl)
    {
        string id = uploadUrl.AbsolutePath.TrimEnd('/').Split('/')[^1];
        if (!_uploads.TryGetValue(id, out TusUpload? upload))
        {
            return null;
        }

        lock (upload)
        {
            return upload.Data.ToArray();
        }
    }

    public async Task HandleAsync(HttpContext context, LoggedRequest entry, CancellationToken token)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        response.Headers["Tus-Resumable"] = Version;
        response.Headers.CacheControl = "no-store";
        string rest = request.Path.Value!["/tus".Length..].Trim('/');
        if (HttpMethods.IsOptions(request.Method))
        {
            response.Headers["Tus-Version"] = Version;
            response.Headers["Tus-Extension"] = "creation,termination";
            Answer(context, entry, StatusCodes.Status204NoContent);
            return;
        }

        if (rest.Length == 0)
        {
            await CreateAsync(context, entry, token);
            return;
        }

        if (!_uploads.TryGetValue(rest, out TusUpload? upload))
        {
            Answer(context, entry, StatusCodes.Status404NotFound);
            return;
        }

        IQueryCollection query = request.Query;
        bool stuck = HasFault(query, "stuck");
        bool conflict = HasFault(query, "conflict");
        if (HttpMethods.IsHead(request.Method))
        {
            lock (upload)
            {
                response.Headers["Upload-Offset"] = upload.Conflicted && query["headoffset"].Count > 0
                    ? query["headoffset"][^1]
                    : upload.Data.Length.ToString(CultureInfo.InvariantCulture);
                response.Headers["Upload-Length"] = upload.Length.ToString(CultureInfo.InvariantCulture);
            }

            Answer(context, entry, StatusCodes.Status200OK);
        }
        else if (HttpMethods.IsPatch(request.Method))
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, token);
            lock (upload)
            {
                long current = upload.Data.Length;
                if (conflict || request.Headers["Upload-Offset"].ToString() != current.ToString(CultureInfo.InvariantCulture))
                {
                    upload.Conflicted = true;
                    Answer(context, entry, StatusCodes.Status409Conflict);
                    return;
                }

                if (!stuck)
                {
                    upload.Data.Write(body.GetBuffer(), 0, (int)Math.Min(body.Length, upload.Length - current));
                }

                response.Headers["Upload-Offset"] = upload.Data.Length.ToString(CultureInfo.InvariantCulture);
            }

            Answer(context, entry, StatusCodes.Status204NoContent);
        }
        else if (HttpMethods.IsDelete(request.Method))
        {
            _uploads.TryRemove(rest, out _);
            Answer(context, entry, StatusCodes.Status204NoContent);
        }
        else
        {
            Answer(context, entry, StatusCodes.Status405MethodNotAllowed);
        }
    }

    private async Task CreateAsync(HttpContext context, LoggedRequest entry, CancellationToken token)
    {
        HttpRequest request = context.Request;
        if (!HttpMethods.IsPost(request.Method) ||
            !long.TryParse(request.Headers["Upload-Length"], NumberStyles.None, CultureInfo.InvariantCulture, out long length) ||
            length > 64 * 1024 * 1024)
        {
            await RequestDispatcher.WriteTextAsync(context, entry, StatusCodes.Status400BadRequest, "POST /tus with Upload-Length (at most 64 MiB)", token);
            return;
        }

        string id = Guid.NewGuid().ToString("n");
        _uploads[id] = new TusUpload(length);
        IQueryCollection query = request.Query;
        string suffix = id + request.QueryString.ToUriComponent();
        context.Response.Headers.Location = query["locationbase"].Count > 0 ? query["locationbase"][^1] + suffix : "/tus/" + suffix;
        Answer(context, entry, StatusCodes.Status201Created);
    }

    private static bool HasFault(IQueryCollection query, string name) =>
        query["fault"].Any(v => (v ?? "").Split(',').Contains(name, StringComparer.OrdinalIgnoreCase));

    private static void Answer(HttpContext context, LoggedRequest entry, int status)
    {
        context.Response.StatusCode = status;
        entry.StatusCode = status;
    }

    private sealed class TusUpload(long length)
    {
        public long Length { get; } = length;

        public MemoryStream Data { get; } = new();

        public bool Conflicted { get; set; }
    }
}
