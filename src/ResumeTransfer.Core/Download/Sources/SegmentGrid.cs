using System;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>
/// How a source wants its file cut into ranges: no range made smaller than <see cref="MinimumBytes"/> up front, split
/// points on multiples of <see cref="Alignment"/>. An object store that keeps an object in parts serves a range within
/// one part from one place, so its ranges follow the part size; HTTP servers get <see cref="Default"/>.
/// </summary>
/// <param name="MinimumBytes">No range is made smaller than this up front (nor stolen below it).</param>
/// <param name="Alignment">Split points fall on multiples of this.</param>
public sealed record SegmentGrid(long MinimumBytes, long Alignment)
{
    private const long MiB = 1024 * 1024;

    /// <summary>1 MiB ranges on page boundaries: the cost of a request stays small against its body, and offsets are easy to read.</summary>
    public static SegmentGrid Default { get; } = new(MiB, 4096);

    /// <summary>
    /// Ranges of whole parts of <paramref name="partBytes"/> (the part size an object was stored with, or a fixed block
    /// size), at least <paramref name="minimumBytes"/> long: each range starts on a part boundary, and only the last range
    /// of the file may be shorter than the minimum.
    /// </summary>
    public static SegmentGrid Parts(long partBytes, long minimumBytes)
    {
        if (partBytes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partBytes));
        }

        var parts = Math.Max(1, (minimumBytes + partBytes - 1) / partBytes);
        return new SegmentGrid(parts * partBytes, partBytes);
    }
}
