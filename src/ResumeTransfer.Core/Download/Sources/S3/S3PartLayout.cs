using System;
using System.Globalization;

namespace ResumeTransfer.Core.Download.Sources.S3;

/// <summary>
/// The part size an S3 object was stored with. A multipart object's ETag ends in "-N" (N parts); HEAD with partNumber=1
/// tells part 1's length (every part but the last has that length). A store that does not answer that (or answers
/// something that cannot be the part size of N parts) leaves the estimate: the smallest whole MiB that makes N parts of
/// the length, the part sizes clients use being whole MiB.
/// </summary>
/// <param name="Parts">How many parts.</param>
/// <param name="PartBytes">The length of each part but the last.</param>
/// <param name="Measured">True when the store told part 1's length; false for the estimate.</param>
internal sealed record S3PartLayout(int Parts, long PartBytes, bool Measured)
{
    private const long MiB = 1024 * 1024;

    /// <summary>N from an ETag ending in "-N" with N above 1; null for a single-part object (or an ETag of another form).</summary>
    public static int? PartCountFromETag(string? etag)
    {
        var value = etag?.Trim().Trim('"');
        var dash = value?.LastIndexOf('-') ?? -1;
        if (value is null || dash <= 0)
        {
            return null;
        }

        return int.TryParse(value.Substring(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var parts) && parts > 1 && parts <= 10_000
            ? parts
            : null;
    }

    /// <summary>The layout of an object of <paramref name="total"/> bytes in <paramref name="parts"/> parts, from what the store said of part 1.</summary>
    public static S3PartLayout From(long total, int parts, long? part1Bytes, int? reportedParts)
    {
        if (part1Bytes is { } measured && Fits(total, parts, measured) && (reportedParts is null || reportedParts == parts))
        {
            return new S3PartLayout(parts, measured, Measured: true);
        }

        var estimate = (total + parts - 1) / parts;
        var roundedUp = (estimate + MiB - 1) / MiB * MiB;
        return new S3PartLayout(parts, Fits(total, parts, roundedUp) ? roundedUp : Math.Max(1, estimate), Measured: false);
    }

    /// <summary>True when N-1 parts of this size leave a last part of 1 byte up to the size.</summary>
    private static bool Fits(long total, int parts, long partBytes) =>
        partBytes > 0 && (partBytes * (parts - 1)) < total && total <= partBytes * parts;
}
