using System;
using System.Globalization;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>The time-val of MDTM (RFC 3659 §2.3): <c>YYYYMMDDHHMMSS</c> in UTC, optionally with a fraction of a second.</summary>
internal static class FtpTime
{
    /// <summary>The time, or null when <paramref name="text"/> is not a time-val.</summary>
    public static DateTimeOffset? Parse(string text)
    {
        var value = text.Trim();
        var dot = value.IndexOf('.');
        var whole = dot < 0 ? value : value.Substring(0, dot);
        if (whole.Length != 14 || !DateTime.TryParseExact(whole, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var seconds))
        {
            return null;
        }

        var result = new DateTimeOffset(DateTime.SpecifyKind(seconds, DateTimeKind.Utc));
        if (dot >= 0)
        {
            var fraction = value.Substring(dot + 1);
            if (fraction.Length is 0 or > 7 || !long.TryParse(fraction, NumberStyles.None, CultureInfo.InvariantCulture, out var digits))
            {
                return null;
            }

            result = result.AddTicks(digits * (long)Math.Pow(10, 7 - fraction.Length));
        }

        return result;
    }
}
