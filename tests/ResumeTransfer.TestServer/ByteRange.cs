using System.Globalization;

namespace ResumeTransfer.TestServer;

/// <summary>A single <c>Range: bytes=</c> request, as the client wrote it.</summary>
internal readonly record struct ByteRange(long? First, long? Last, long? SuffixLength)
{
    /// <summary>
    /// Parses one <c>bytes=A-B</c>, <c>bytes=A-</c> or <c>bytes=-S</c>. Anything else (several ranges, other
    /// units, bad syntax) returns false: RFC 9110 lets a server ignore such a Range and send 200.
    /// </summary>
    public static bool TryParse(string? header, out ByteRange range)
    {
        range = default;
        if (header is null || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string spec = header["bytes=".Length..].Trim();
        int dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0 || spec.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        string first = spec[..dash].Trim();
        string last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            if (!TryNumber(last, out long suffix))
            {
                return false;
            }

            range = new ByteRange(null, null, suffix);
            return true;
        }

        if (!TryNumber(first, out long a))
        {
            return false;
        }

        if (last.Length == 0)
        {
            range = new ByteRange(a, null, null);
            return true;
        }

        if (!TryNumber(last, out long b) || b < a)
        {
            return false;
        }

        range = new ByteRange(a, b, null);
        return true;
    }

    /// <summary>Resolves against a representation of <paramref name="size"/> bytes; false = 416.</summary>
    public bool TryResolve(long size, out long start, out long endInclusive)
    {
        start = 0;
        endInclusive = -1;
        if (SuffixLength is { } suffix)
        {
            if (suffix == 0 || size == 0)
            {
                return false;
            }

            start = Math.Max(0, size - suffix);
            endInclusive = size - 1;
            return true;
        }

        long a = First ?? 0;
        if (a >= size)
        {
            return false;
        }

        start = a;
        endInclusive = Math.Min(Last ?? size - 1, size - 1);
        return true;
    }

    private static bool TryNumber(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
