using System;
using System.Globalization;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// The <c>Content-Range</c> of a single-part response (RFC 9110 §14.4), parsed strictly: <c>bytes A-B/TOTAL</c>,
/// <c>bytes A-B/*</c> or <c>bytes */TOTAL</c>, digits only, A &lt;= B &lt; TOTAL, each a long and B - A + 1 too. Anything else is rejected,
/// because a header we half-understand is how bytes end up at the wrong offset.
/// </summary>
internal readonly struct ContentRangeHeader
{
    private ContentRangeHeader(long? first, long? last, long? completeLength)
    {
        First = first;
        Last = last;
        CompleteLength = completeLength;
    }

    /// <summary>First byte position (A); null for the unsatisfied form <c>bytes */TOTAL</c>.</summary>
    public long? First { get; }

    /// <summary>Last byte position, inclusive (B); null for the unsatisfied form.</summary>
    public long? Last { get; }

    /// <summary>TOTAL, or null when the server sent <c>*</c>.</summary>
    public long? CompleteLength { get; }

    /// <summary>True for <c>bytes */TOTAL</c> (the form a 416 carries).</summary>
    public bool IsUnsatisfied => First is null;

    /// <summary>Bytes in the range (B - A + 1); 0 for the unsatisfied form.</summary>
    public long RangeLength => First is { } a && Last is { } b ? b - a + 1 : 0;

    public static bool TryParse(string? value, out ContentRangeHeader result)
    {
        result = default;
        if (value is null)
        {
            return false;
        }

        var text = value.Trim(' ', '\t');
        const string Unit = "bytes ";
        if (!text.StartsWith(Unit, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var pos = Unit.Length;
        if (pos < text.Length && text[pos] == '*')
        {
            // Unsatisfied-range: "*/" complete-length; the length is mandatory here.
            pos++;
            if (!Expect(text, ref pos, '/') || !ReadNumber(text, ref pos, out var total) || pos != text.Length)
            {
                return false;
            }

            result = new ContentRangeHeader(null, null, total);
            return true;
        }

        if (!ReadNumber(text, ref pos, out var first) || !Expect(text, ref pos, '-') ||
            !ReadNumber(text, ref pos, out var last) || !Expect(text, ref pos, '/'))
        {
            return false;
        }

        long? completeLength = null;
        if (pos < text.Length && text[pos] == '*')
        {
            pos++;
        }
        else if (ReadNumber(text, ref pos, out var length))
        {
            completeLength = length;
        }
        else
        {
            return false;
        }

        // 0-(2^63-1) names 2^63 bytes, a length no long holds: rejected so that RangeLength can never overflow.
        if (pos != text.Length || first > last || (completeLength is { } t && last >= t) || (first == 0 && last == long.MaxValue))
        {
            return false;
        }

        result = new ContentRangeHeader(first, last, completeLength);
        return true;
    }

    public override string ToString() =>
        IsUnsatisfied
            ? $"bytes */{CompleteLength}"
            : $"bytes {First}-{Last}/{(CompleteLength is { } t ? t.ToString(CultureInfo.InvariantCulture) : "*")}";

    private static bool Expect(string text, ref int pos, char c)
    {
        if (pos < text.Length && text[pos] == c)
        {
            pos++;
            return true;
        }

        return false;
    }

    private static bool ReadNumber(string text, ref int pos, out long number)
    {
        var start = pos;
        while (pos < text.Length && text[pos] >= '0' && text[pos] <= '9')
        {
            pos++;
        }

        // NumberStyles.None: no sign, no spaces, no separators; TryParse rejects overflow.
        return long.TryParse(text.Substring(start, pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out number) && pos > start;
    }
}
