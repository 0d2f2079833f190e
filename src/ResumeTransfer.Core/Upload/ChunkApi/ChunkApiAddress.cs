using System;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// The addresses of one chunk API (docs/chunk-api.md) built from the user's URL: chunks go to the URL itself, the
/// status and merge calls to <c>URL/status</c> and <c>URL/merge</c> (a trailing slash removed first). A query string on
/// the user's URL (an access token, say) is kept on every call but never shown or recorded.
/// </summary>
internal sealed class ChunkApiAddress
{
    private readonly string path;
    private readonly string query;

    /// <exception cref="TransferException">InvalidArgument: <paramref name="url"/> is not http(s).</exception>
    public ChunkApiAddress(Uri url)
    {
        if (!HttpAddress.IsHttpOrHttps(url))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"A chunk API address is an http(s) URL, not '{url.Scheme}:'.");
        }

        path = url.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/');
        query = url.Query.TrimStart('?');
        Display = HttpOrigin.ForDisplay(new Uri(path, UriKind.Absolute));
    }

    /// <summary>The URL without user info or query: what is shown and recorded.</summary>
    public Uri Display { get; }

    /// <summary>Where chunks are POSTed.</summary>
    public Uri Chunks => Build(string.Empty, null);

    public Uri Status(string uploadId) => Build("/status", "upload_id=" + uploadId);

    public Uri Merge(string uploadId, string fileName, string sha256) =>
        Build("/merge", $"upload_id={uploadId}&filename={Uri.EscapeDataString(fileName)}&sha256={sha256}");

    public Uri Delete(string uploadId) => Build(string.Empty, "upload_id=" + uploadId);

    /// <summary>The status address as recorded in the state and result (no user query).</summary>
    public Uri DisplayStatus(string uploadId) => new(Display.AbsoluteUri.TrimEnd('/') + "/status?upload_id=" + uploadId, UriKind.Absolute);

    /// <summary>The upload URL with <paramref name="suffix"/> added to its path and <paramref name="parameters"/> to its query (the user's query first).</summary>
    public Uri Build(string suffix, string? parameters)
    {
        var all = query.Length == 0 ? parameters : parameters is null ? query : query + "&" + parameters;
        return new Uri(path + suffix + (string.IsNullOrEmpty(all) ? string.Empty : "?" + all), UriKind.Absolute);
    }
}
