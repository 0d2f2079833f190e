using System;
using System.Collections.Generic;

namespace ResumeTransfer.Core.Upload;

/// <summary>Chooses the chunk size and lays chunks on its grid.</summary>
public static class ChunkPlanner
{
    private const long MiB = 1024 * 1024;

    /// <summary>
    /// The chunk size for a new upload of <paramref name="length"/> bytes: <paramref name="requested"/> or the protocol's
    /// default, grown (to whole MiB) so the file fits in <see cref="ChunkLimits.MaximumCount"/> chunks. A requested size
    /// outside the protocol's limits, or a file too big for the largest chunks, is an InvalidArgument error.
    /// </summary>
    public static long ChooseChunkSize(long? requested, ChunkLimits limits, long length, string protocolName, out bool grown)
    {
        grown = false;
        if (requested is { } asked)
        {
            if (asked < limits.Minimum)
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"A chunk size of {asked} bytes is below the {protocolName} minimum of {limits.Minimum} bytes. Use -ChunkSize {limits.Minimum} or more, or leave it out for the default ({limits.Default} bytes).");
            }

            if (asked > limits.Maximum)
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"A chunk size of {asked} bytes is above the {protocolName} maximum of {limits.Maximum} bytes. Use a smaller -ChunkSize.");
            }
        }

        var size = requested ?? limits.Default;
        if (CountFor(length, size) > limits.MaximumCount)
        {
            var needed = (length + limits.MaximumCount - 1) / limits.MaximumCount;
            size = (needed + MiB - 1) / MiB * MiB;
            grown = true;
            if (size > limits.Maximum)
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"The file ({length} bytes) is too large for {protocolName}: even {limits.Maximum}-byte chunks would need more than {limits.MaximumCount} of them.");
            }
        }

        return size;
    }

    /// <summary>Chunks needed for <paramref name="length"/> bytes (an empty file is one empty chunk).</summary>
    /// <param name="length">The file's length.</param>
    /// <param name="chunkSize">The grid.</param>
    /// <param name="remainderInLast">
    /// flow.js and resumable.js cut max(1, floor(length / chunkSize)) chunks, the last taking the remainder (up to twice
    /// the chunk size); their servers refuse any other count. Otherwise ceil: the last chunk is the short one.
    /// </param>
    public static long CountFor(long length, long chunkSize, bool remainderInLast = false) =>
        length == 0 ? 1 : remainderInLast ? Math.Max(1, length / chunkSize) : (length + chunkSize - 1) / chunkSize;

    /// <summary>Every chunk of the file, on the grid (<paramref name="remainderInLast"/> as for <see cref="CountFor"/>).</summary>
    public static IReadOnlyList<UploadChunk> All(long length, long chunkSize, bool remainderInLast = false)
    {
        if (!remainderInLast)
        {
            return From(0, length, chunkSize, includeEmpty: true);
        }

        var count = CountFor(length, chunkSize, remainderInLast: true);
        var chunks = new List<UploadChunk>();
        for (var number = 1; number <= count; number++)
        {
            chunks.Add(Chunk(number, length, chunkSize, remainderInLast: true));
        }

        return chunks;
    }

    /// <summary>
    /// The chunks covering [<paramref name="offset"/>, <paramref name="length"/>): the first may start mid-grid, the rest
    /// lie on it. Empty when offset == length (an empty file needs no chunk on an offset protocol).
    /// </summary>
    public static IReadOnlyList<UploadChunk> FromOffset(long offset, long length, long chunkSize) => From(offset, length, chunkSize, includeEmpty: false);

    /// <summary>The grid chunk with this 1-based number (<paramref name="remainderInLast"/> as for <see cref="CountFor"/>).</summary>
    public static UploadChunk Chunk(int number, long length, long chunkSize, bool remainderInLast = false)
    {
        var offset = (number - 1) * chunkSize;
        var last = remainderInLast && number == CountFor(length, chunkSize, remainderInLast: true);
        return new UploadChunk(number, offset, Math.Max(0, last ? length - offset : Math.Min(chunkSize, length - offset)));
    }

    private static List<UploadChunk> From(long offset, long length, long chunkSize, bool includeEmpty)
    {
        var chunks = new List<UploadChunk>();
        if (length == 0)
        {
            if (includeEmpty)
            {
                chunks.Add(new UploadChunk(1, 0, 0));
            }

            return chunks;
        }

        var position = offset;
        while (position < length)
        {
            var index = position / chunkSize;
            var end = Math.Min((index + 1) * chunkSize, length);
            chunks.Add(new UploadChunk(checked((int)index + 1), position, end - position));
            position = end;
        }

        return chunks;
    }
}
