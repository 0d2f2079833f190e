using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using Microsoft.Net.Http.Headers;

namespace ResumeTransfer.TestServer;

/// <summary>Serves <c>/files/{name}</c> and <c>/auth/files/{name}</c>: deterministic content, ranges, validators and faults.</summary>
internal sealed class FileEndpoint(TagCounter counter)
{
    private const int SliceSize = 64 * 1024;
    private const long MaxGzipLength = 64L << 20;
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(120);

    public async Task HandleAsync(HttpContext context, LoggedRequest entry, bool requireAuth, CancellationToken token)
    {
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        if (!FileRequestOptions.TryParse(request.Query, out FileRequestOptions o, out string error))
        {
            await RequestDispatcher.WriteTextAsync(context, entry, StatusCodes.Status400BadRequest, error, token);
            return;
        }

        if (requireAuth && !IsAuthorized(request, o.User ?? "user", o.Pass ?? "pass"))
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"ResumeTransfer\"";
            await RequestDispatcher.WriteTextAsync(context, entry, StatusCodes.Status401Unauthorized, "credentials required", token);
            return;
        }

        // Counted only once past authentication, so a 401 challenge does not use up times=K or changeafter=K.
        int sequence = counter.Next(o.Tag ?? "");
        entry.TagSequence = sequence;
        bool faultActive = o.Times is null || sequence <= o.Times;
        bool Has(string fault) => faultActive && o.Faults.Contains(fault);
        int version = o.ChangeAfter is { } k && sequence > k ? o.Version + 1 : o.Version;

        if (o.Latency > 0)
        {
            await Task.Delay(o.Latency, token);
        }

        if (Has("status"))
        {
            if (o.RetryAfter is not null)
            {
                response.Headers.RetryAfter = o.RetryAfter;
            }

            SetStatus(response, entry, o.Code);
            response.ContentLength = 0;
            return;
        }

        if (o.Faults.Contains("storedgzip") && o.Size > StoredGzip.MaxContentSize)
        {
            await RequestDispatcher.WriteTextAsync(context, entry, StatusCodes.Status400BadRequest, "fault=storedgzip is limited to 64 MiB of content", token);
            return;
        }

        // fault=storedgzip: the resource is the compressed object (its length, ranges and ETag), sent as stored.
        // Not a passing fault but what the resource is, so times=K does not switch it off.
        byte[]? stored = o.Faults.Contains("storedgzip") ? StoredGzip.Bytes(o.Size, o.Seed, version) : null;
        long size = stored?.LongLength ?? o.Size;
        string strongETag = stored is null ? DeterministicContent.ETag(o.Size, o.Seed, version) : StoredGzip.ETag(o.Size, o.Seed, version);
        string? etag = o.NoETag ? null : o.WeakETag ? "W/" + strongETag : strongETag;
        DateTimeOffset? lastModified = o.NoLastModified ? null : DeterministicContent.LastModified(version);
        bool honourRanges = !o.NoRanges && !Has("ignorerange");

        response.ContentType = "application/octet-stream";
        if (etag is not null)
        {
            response.Headers.ETag = etag;
        }

        if (lastModified is { } lm)
        {
            response.Headers.LastModified = lm.ToString("r", CultureInfo.InvariantCulture);
        }

        if (honourRanges)
        {
            response.Headers.AcceptRanges = "bytes";
        }

        if (o.Disposition is not null)
        {
            response.Headers.ContentDisposition = o.Disposition;
        }

        string? ifMatch = request.Headers.IfMatch;
        if (!string.IsNullOrEmpty(ifMatch) && !IfMatchHolds(ifMatch, etag))
        {
            SetStatus(response, entry, StatusCodes.Status412PreconditionFailed);
            response.ContentLength = 0;
            return;
        }

        if (stored is not null)
        {
            response.Headers.ContentEncoding = "gzip";
        }

        long start = 0;
        long end = size - 1;
        bool partial = false;
        if (honourRanges && ByteRange.TryParse(request.Headers.Range, out ByteRange range) &&
            IfRangeHolds(request.Headers.IfRange, etag, lastModified))
        {
            if (!range.TryResolve(size, out start, out end) || (start > 0 && Has("range416unlesszero")))
            {
                response.Headers.ContentRange = $"bytes */{size}";
                SetStatus(response, entry, StatusCodes.Status416RangeNotSatisfiable);
                response.ContentLength = 0;
                return;
            }

            partial = true;
            if (Has("wrongrange"))
            {
                (start, end) = WrongRange(start, end, size);
            }

            if (Has("overlapstart"))
            {
                start = Math.Max(0, start - o.At);
            }

            response.Headers.ContentRange = o.ContentRange ?? $"bytes {start}-{end}/{size}";
        }

        long length = end - start + 1;
        byte[]? gzipped = stored?[(int)start..(int)(end + 1)];
        if (Has("gzip"))
        {
            if (length > MaxGzipLength)
            {
                await RequestDispatcher.WriteTextAsync(context, entry, StatusCodes.Status400BadRequest, "fault=gzip is limited to 64 MiB bodies", token);
                return;
            }

            gzipped = Gzip(start, length, o.Seed, version);
            response.Headers.ContentEncoding = "gzip";
        }

        long bodyLength = gzipped?.LongLength ?? length;
        if (!Has("chunked"))
        {
            response.ContentLength = bodyLength;
        }

        SetStatus(response, entry, partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK);
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }

        bool cut = Has("drop") || Has("short") || Has("stall");
        long toSend = cut ? Math.Min(o.At, bodyLength) : bodyLength;
        await WriteBodyAsync(response, entry, start, toSend, gzipped, o.Seed, version, o.Rate, token);
        if (!cut)
        {
            return;
        }

        await response.Body.FlushAsync(token);
        if (Has("stall"))
        {
            try
            {
                await Task.Delay(StallLimit, token);
            }
            catch (OperationCanceledException)
            {
                // The client gave up (or the server is stopping): exactly what a stall test waits for.
            }

            context.Abort();
        }
        else if (Has("drop"))
        {
            await ConnectionCutter.ResetAsync(context, token);
        }
        else
        {
            await ConnectionCutter.CloseAsync(context, token);
        }
    }

    private static async Task WriteBodyAsync(
        HttpResponse response, LoggedRequest entry, long start, long count, byte[]? gzipped, int seed, int version, long? rate, CancellationToken token)
    {
        int slice = rate is { } r ? (int)Math.Clamp(r / 20, 1, SliceSize) : SliceSize;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(slice);
        try
        {
            // Headers go out even when no body byte does (drop/stall at=0).
            await response.StartAsync(token);
            long startedAt = Stopwatch.GetTimestamp();
            for (long sent = 0; sent < count;)
            {
                int n = (int)Math.Min(slice, count - sent);
                if (gzipped is not null)
                {
                    gzipped.AsSpan((int)sent, n).CopyTo(buffer);
                }
                else
                {
                    DeterministicContent.Fill(start + sent, buffer.AsSpan(0, n), seed, version);
                }

                // Counted before the write so a client that has the bytes never sees a smaller count in the log.
                entry.AddBodyBytes(n);
                await response.Body.WriteAsync(buffer.AsMemory(0, n), token);
                sent += n;
                if (rate is { } bytesPerSecond)
                {
                    TimeSpan due = TimeSpan.FromSeconds((double)sent / bytesPerSecond) - Stopwatch.GetElapsedTime(startedAt);
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, token);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void SetStatus(HttpResponse response, LoggedRequest entry, int status)
    {
        response.StatusCode = status;
        entry.StatusCode = status;
    }

    private static (long Start, long End) WrongRange(long start, long end, long size)
    {
        if (start + 1 < size)
        {
            return (start + 1, Math.Min(end + 1, size - 1));
        }

        return start > 0 ? (start - 1, end - 1) : (start, end);
    }

    private static byte[] Gzip(long start, long length, int seed, int version)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            byte[] buffer = new byte[SliceSize];
            for (long done = 0; done < length;)
            {
                int n = (int)Math.Min(SliceSize, length - done);
                DeterministicContent.Fill(start + done, buffer.AsSpan(0, n), seed, version);
                gzip.Write(buffer, 0, n);
                done += n;
            }
        }

        return output.ToArray();
    }

    private static bool IsAuthorized(HttpRequest request, string user, string pass)
    {
        string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + pass));
        return string.Equals(request.Headers.Authorization, expected, StringComparison.Ordinal);
    }

    /// <summary>RFC 9110 §13.1.1: strong comparison; "*" matches any current representation.</summary>
    private static bool IfMatchHolds(string header, string? etag)
    {
        if (header.Trim() == "*")
        {
            return true;
        }

        if (etag is null || etag.StartsWith("W/", StringComparison.Ordinal))
        {
            return false;
        }

        return header.Split(',', StringSplitOptions.TrimEntries).Any(t => string.Equals(t, etag, StringComparison.Ordinal));
    }

    /// <summary>RFC 9110 §13.1.5: an entity tag matches only strongly; a date only exactly equal to Last-Modified.</summary>
    private static bool IfRangeHolds(string? header, string? etag, DateTimeOffset? lastModified)
    {
        if (string.IsNullOrEmpty(header))
        {
            return true;
        }

        header = header.Trim();
        if (header.StartsWith('"') || header.StartsWith("W/", StringComparison.Ordinal))
        {
            return etag is not null && !etag.StartsWith("W/", StringComparison.Ordinal) &&
                !header.StartsWith("W/", StringComparison.Ordinal) && string.Equals(header, etag, StringComparison.Ordinal);
        }

        return lastModified is { } lm && HeaderUtilities.TryParseDate(header, out DateTimeOffset date) && date == lm;
    }
}
