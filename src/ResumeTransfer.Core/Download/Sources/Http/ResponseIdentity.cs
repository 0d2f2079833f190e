using System;
using System.Linq;
using System.Net.Http;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>Reads the <see cref="RemoteIdentity"/> a response carries.</summary>
internal static class ResponseIdentity
{
    /// <summary>RFC 9110 §8.8.2.2: Last-Modified is a strong validator only when it is at least this much older than Date.</summary>
    private static readonly TimeSpan StrongLastModifiedAge = TimeSpan.FromSeconds(60);

    public static RemoteIdentity Read(HttpResponseMessage response, long? length)
    {
        // The ETag exactly as sent: it is compared byte for byte and echoed in If-Range.
        string? etag = response.Headers.TryGetValues("ETag", out var values) ? values.FirstOrDefault()?.Trim() : null;
        if (string.IsNullOrEmpty(etag))
        {
            etag = null;
        }

        var lastModified = response.Content?.Headers.LastModified;
        var date = response.Headers.Date;
        var strong = lastModified is { } lm && date is { } d && d - lm >= StrongLastModifiedAge;
        return new RemoteIdentity(length, etag, lastModified, strong);
    }
}
