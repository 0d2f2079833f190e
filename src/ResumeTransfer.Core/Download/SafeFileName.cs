using System;
using System.Globalization;
using System.Text;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Turns a file name chosen by someone else (a server's Content-Disposition, a URL segment) into a plain base name
/// that is valid on Windows and Unix and cannot point anywhere but the directory it is joined to.
/// </summary>
public static class SafeFileName
{
    /// <summary>The longest name produced, in UTF-8 bytes: leaves room for a temporary state file's ".rtstate.&lt;16 hex&gt;.tmp" suffix under the usual 255-byte limit.</summary>
    public const int MaxUtf8Bytes = 200;

    private const string ReservedCharacters = "<>:\"|?*";

    private static readonly char[] Separators = { '/', '\\' };

    // An extension longer than this is treated as part of the name when shortening.
    private const int MaxKeptExtensionLength = 16;

    private static readonly string[] DeviceNames =
    {
        "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
        "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
        "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
    };

    /// <summary>
    /// Returns a safe base name made from <paramref name="raw"/>, or null when nothing usable is left
    /// (null, empty, only dots, separators or control characters).
    /// </summary>
    public static string? From(string? raw)
    {
        if (raw is null)
        {
            return null;
        }

        // Base name only: whatever precedes the last separator of either platform is a path, not a name.
        var lastSeparator = raw.LastIndexOfAny(Separators);
        var name = lastSeparator >= 0 ? raw.Substring(lastSeparator + 1) : raw;

        var builder = new StringBuilder(name.Length);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                builder.Append(c).Append(name[i + 1]);
                i++;
                continue;
            }

            if (char.IsSurrogate(c) || IsInvisible(c))
            {
                continue;
            }

            builder.Append(ReservedCharacters.IndexOf(c) >= 0 ? '_' : c);
        }

        // Leading dots would hide the file (or spell ".."); trailing dots and spaces are dropped by Windows.
        name = builder.ToString().Trim().TrimStart('.').TrimEnd('.', ' ');
        if (name.Length == 0)
        {
            return null;
        }

        name = Shorten(name);
        if (IsDeviceName(name))
        {
            name = "_" + name;
        }

        // A name like another transfer's part or state file is refused by TargetPaths.InDirectory, not renamed here.
        return name;
    }

    private static bool IsInvisible(char c)
    {
        switch (CharUnicodeInfo.GetUnicodeCategory(c))
        {
            case UnicodeCategory.Control:
            case UnicodeCategory.Format: // bidi overrides (U+202E) can disguise "gpj.exe" as "exe.jpg"
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                return true;
            default:
                return false;
        }
    }

    private static bool IsDeviceName(string name)
    {
        // Windows treats "CON", "con.txt" and "CON .txt" alike.
        var dot = name.IndexOf('.');
        var stem = (dot >= 0 ? name.Substring(0, dot) : name).TrimEnd(' ');
        foreach (var device in DeviceNames)
        {
            if (string.Equals(stem, device, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Shorten(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= MaxUtf8Bytes)
        {
            return name;
        }

        var dot = name.LastIndexOf('.');
        var extension = dot > 0 && name.Length - dot <= MaxKeptExtensionLength ? name.Substring(dot) : string.Empty;
        var stem = name.Substring(0, name.Length - extension.Length);
        var budget = MaxUtf8Bytes - Encoding.UTF8.GetByteCount(extension);

        var used = 0;
        var end = 0;
        while (end < stem.Length)
        {
            // Never split a surrogate pair: a lone half is not valid UTF-16 and cannot be a file name.
            var width = char.IsHighSurrogate(stem[end]) && end + 1 < stem.Length ? 2 : 1;
            var bytes = Encoding.UTF8.GetByteCount(stem.Substring(end, width));
            if (used + bytes > budget)
            {
                break;
            }

            used += bytes;
            end += width;
        }

        return stem.Substring(0, end).TrimEnd('.', ' ') + extension;
    }
}
