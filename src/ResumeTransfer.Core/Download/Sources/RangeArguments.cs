using System;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>The argument rules of <see cref="IByteSource.OpenRangeAsync"/>, the same for every source.</summary>
internal static class RangeArguments
{
    /// <summary>Throws when the range is not [offset, endInclusive] with 0 ≤ offset ≤ endInclusive, or no version is given.</summary>
    public static void Check(long offset, long? endInclusive, RemoteIdentity expected)
    {
        if (offset < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        if (endInclusive is { } end && end < offset)
        {
            throw new ArgumentOutOfRangeException(nameof(endInclusive));
        }

        if (expected is null)
        {
            throw new ArgumentNullException(nameof(expected));
        }
    }
}
