using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// Checks a 206 against the request that caused it (RFC 9110 §14.4, §15.3.7): exactly one well-formed Content-Range
/// with possible lengths, the same version as expected, a first byte at or before the one asked for (the caller skips
/// the overlap), the last byte asked for, a Content-Length that matches the range, and for an encoded body a
/// Content-Length that proves the range counts the encoded bytes. A 206 that fails any of these is never appended.
/// </summary>
internal static class RangeResponseValidator
{
    /// <summary>
    /// The longest resource an answer may declare: 2^53 bytes (8 PiB). No storage a download goes to holds one file
    /// that large (the biggest single objects cloud stores keep are a few hundred TiB), and with every offset and length
    /// below it, sums of two and products with a connection count stay far from overflowing a long.
    /// </summary>
    public const long MaxLength = 1L << 53;

    /// <summary>The checked range and the identity the response carries; throws when the 206 cannot be used.</summary>
    /// <remarks>The range may start before <paramref name="offset"/> (covering it): the body's first bytes are then the overlap.</remarks>
    /// <exception cref="TransferException">
    /// <see cref="TransferErrorKind.RemoteChanged"/> when the response proves another version; <see cref="TransferErrorKind.ProtocolViolation"/>
    /// for an encoded range whose length does not match or an impossible length (final), or a malformed or other range
    /// than asked (transient: a proxy or a retry may do better).
    /// </exception>
    public static (ContentRangeHeader Range, RemoteIdentity Identity) ValidatePartial(
        HttpResponseMessage response, long offset, long? endInclusive, RemoteIdentity? expected, Uri where)
    {
        var values = response.Content.Headers.TryGetValues("Content-Range", out var raw) ? raw.ToList() : new List<string>();
        if (values.Count != 1 || !ContentRangeHeader.TryParse(values[0], out var range) || range.IsUnsatisfied)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered 206 without one valid Content-Range (got '{string.Join(", ", values)}'); the bytes cannot be placed.");
        }

        if (range.Last >= MaxLength || range.CompleteLength > MaxLength)
        {
            throw ImpossibleLength(where, $"Content-Range '{range}'", 206);
        }

        RejectEncodedUnlessLengthMatches(response, range, where);
        var identity = ResponseIdentity.Read(response, range.CompleteLength ?? expected?.Length);
        if (expected is not null && !expected.IsSameVersionAs(identity))
        {
            throw new TransferException(
                TransferErrorKind.RemoteChanged,
                $"The file at {where} changed on the server ({DescribeChange(expected, identity)}). Its bytes cannot be joined to the ones already downloaded: download it again from the start.")
            { StatusCode = 206 };
        }

        if (range.First > offset)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered bytes {range.First}-{range.Last} when bytes from {offset} were asked for; the answer is discarded.")
            { StatusCode = 206 };
        }

        // A range that runs past the end is legitimately cut at the last byte (RFC 9110 §14.1.1).
        long? expectedLast = range.CompleteLength is { } total
            ? Math.Min(endInclusive ?? long.MaxValue, total - 1)
            : endInclusive;
        if (expectedLast is { } last && range.Last != last)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered bytes {range.First}-{range.Last} when bytes {offset}-{last} were asked for; the answer is discarded.")
            { StatusCode = 206 };
        }

        if (response.Content.Headers.ContentLength is { } contentLength && contentLength != range.RangeLength)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} sent Content-Length {contentLength} for the {range.RangeLength} bytes of '{range}'; the answer is discarded.")
            { StatusCode = 206 };
        }

        return (range, identity);
    }

    /// <summary>
    /// <paramref name="length"/> when it is a length a file can have; a final ProtocolViolation naming <paramref name="header"/> otherwise.
    /// </summary>
    public static long? CheckLength(long? length, string header, Uri where, int statusCode) =>
        length > MaxLength ? throw ImpossibleLength(where, $"{header} {length}", statusCode) : length;

    /// <summary>
    /// An encoded 206 is usable only when the range counts the encoded bytes, as for an object stored compressed (object
    /// stores keep a file uploaded with Content-Encoding: gzip that way): then Content-Length is exactly the range's
    /// length. A server that compresses each answer on the fly sends fewer (or more) bytes than the range names, and
    /// without a Content-Length nothing shows which kind it is before bytes are written, so both are refused.
    /// </summary>
    private static void RejectEncodedUnlessLengthMatches(HttpResponseMessage response, ContentRangeHeader range, Uri where)
    {
        if (ContentCodingOtherThanIdentity(response) is { } encoding && response.Content.Headers.ContentLength != range.RangeLength)
        {
            throw new TransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} sent a byte range with Content-Encoding '{encoding}' although only 'identity' was accepted, and its length ({response.Content.Headers.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "not given"}) is not the {range.RangeLength} bytes of '{range}'; offsets into data compressed on the fly cannot be resumed. Ask the server's operator to serve this file without compression.")
            { StatusCode = (int)response.StatusCode };
        }
    }

    private static TransferException ImpossibleLength(Uri where, string what, int statusCode) =>
        new(
            TransferErrorKind.ProtocolViolation,
            $"{where} declared {what}: no file is that long (the limit is {MaxLength} bytes, 8 PiB), so the answer is not trusted. Check the address; the server or a proxy in between is broken.")
        { StatusCode = statusCode };

    /// <summary>The first Content-Encoding that is not identity, or null when the body is sent as is.</summary>
    public static string? ContentCodingOtherThanIdentity(HttpResponseMessage response) =>
        response.Content.Headers.ContentEncoding.FirstOrDefault(e => !string.Equals(e, "identity", StringComparison.OrdinalIgnoreCase));

    /// <summary>What differs between two identities, for the message.</summary>
    public static string DescribeChange(RemoteIdentity expected, RemoteIdentity seen)
    {
        var parts = new List<string>();
        if (expected.Length is { } a && seen.Length is { } b && a != b)
        {
            parts.Add($"length {a} -> {b}");
        }

        if (expected.ETag is not null && seen.ETag is not null && !string.Equals(expected.ETag, seen.ETag, StringComparison.Ordinal))
        {
            parts.Add($"ETag {expected.ETag} -> {seen.ETag}");
        }

        if (expected.LastModified is { } x && seen.LastModified is { } y && x != y)
        {
            parts.Add($"Last-Modified {x:R} -> {y:R}");
        }

        return string.Join(", ", parts);
    }
}
