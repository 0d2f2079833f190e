using System;
using System.Globalization;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>The data port of an EPSV (229) or PASV (227) reply.</summary>
internal static class FtpPassiveReply
{
    /// <summary>"Entering Extended Passive Mode (|||6446|)": the port, or null when the text has none.</summary>
    public static int? ParseExtended(string text)
    {
        var open = text.IndexOf('(');
        var close = open < 0 ? -1 : text.IndexOf(')', open);
        if (close < 0)
        {
            return null;
        }

        // (<d><d><d>port<d>) with any delimiter, usually |.
        var inner = text.Substring(open + 1, close - open - 1);
        if (inner.Length < 5)
        {
            return null;
        }

        var delimiter = inner[0];
        var parts = inner.Split(delimiter);
        return parts.Length == 5 && int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    /// <summary>"Entering Passive Mode (h1,h2,h3,h4,p1,p2)" (parentheses optional): the port p1*256+p2, or null.</summary>
    public static int? ParsePassive(string text)
    {
        var start = -1;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsDigit(text[i]))
            {
                start = i;
                break;
            }
        }

        if (start < 0)
        {
            return null;
        }

        var end = start;
        while (end < text.Length && (char.IsDigit(text[end]) || text[end] == ','))
        {
            end++;
        }

        var numbers = text.Substring(start, end - start).Split(',');
        if (numbers.Length != 6)
        {
            return null;
        }

        var values = new int[6];
        for (var i = 0; i < 6; i++)
        {
            if (!int.TryParse(numbers[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) || values[i] > 255)
            {
                return null;
            }
        }

        return (values[4] * 256) + values[5];
    }
}
