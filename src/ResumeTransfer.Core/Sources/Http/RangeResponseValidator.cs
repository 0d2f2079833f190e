using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;

namespace ResumeTransfer.Core.Sources.Http;

/// <summary>
/// Checks a 206 against the request that caused it (RFC 9110 §14.4, §15.3.7): identity encoding, exactly one
/// well-formed Content-Range, the same version as expected, the first byte asked for, the last byte asked for,
/// and a Content-Length that matches the range. A 206 that fails any of these is never appended.
/// </summary>
internal static class RangeResponseValidator
{
    /// <summary>The checked range and the identity the response carries; throws when the 206 cannot be used.</summary>
    /// <exception cref="TransferException">
    /// <see cref="TransferErrorKind.RemoteChanged"/> when the response proves another version; <see cref="TransferErrorKind.ProtocolViolation"/>
    /// for an encoded range (final) or a malformed or other range than asked (transient: a proxy or a retry may do better).
    /// </exception>
    public static (ContentRangeHeader Range, RemoteIdentity Identity) ValidatePartial(
        HttpResponseMessage response, long offset, long? endInclusive, RemoteIdentity? expected, Uri where)
    {
        RejectEncodedContent(response, where);

        var values = response.Content.Headers.TryGetValues("Content-Range", out var raw) ? raw.ToList() : new List<string>();
        if (values.Count != 1 || !ContentRangeHeader.TryParse(values[0], out var range) || range.IsUnsatisfied)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered 206 without one valid Content-Range (got '{string.Join(", ", values)}'); the bytes cannot be placed.");
        }

        var identity = ResponseIdentity.Read(response, range.CompleteLength ?? expected?.Length);
        if (expected is not null && !expected.IsSameVersionAs(identity))
        {
            throw new TransferException(
                TransferErrorKind.RemoteChanged,
                $"The file at {where} changed on the server ({DescribeChange(expected, identity)}). Its bytes cannot be joined to the ones already downloaded: download it again from the start.")
            { StatusCode = 206 };
        }

        if (range.First != offset)
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

    /// <summary>An encoded 206 makes the range useless: its offsets are offsets into the compressed stream.</summary>
    public static void RejectEncodedContent(HttpResponseMessage response, Uri where)
    {
        if (ContentCodingOtherThanIdentity(response) is { } encoding)
        {
            throw new TransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} sent a byte range with Content-Encoding '{encoding}' although only 'identity' was accepted; offsets into compressed data cannot be resumed. Ask the server's operator to serve this file without compression.")
            { StatusCode = (int)response.StatusCode };
        }
    }

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
