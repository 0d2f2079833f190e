using System;
using System.Collections.Generic;
using System.Text;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// Reads the file name out of a <c>Content-Disposition</c> value (RFC 6266): <c>filename*</c> (RFC 8187/5987
/// ext-value, UTF-8 or ISO-8859-1) wins over <c>filename</c>. The name is returned as decoded, unsafe characters
/// and all: making it a safe base name is the caller's job (the engine's SafeFileName), done in one place.
/// </summary>
internal static class ContentDispositionFileName
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The decoded file name, or null when the header has none that decodes to a non-blank name.</summary>
    public static string? Parse(string? headerValue)
    {
        if (string.IsNullOrWhiteSpace(headerValue))
        {
            return null;
        }

        string? extended = null;
        string? plain = null;
        foreach (var (name, value) in ReadParameters(headerValue!))
        {
            if (extended is null && string.Equals(name, "filename*", StringComparison.OrdinalIgnoreCase))
            {
                extended = DecodeExtValue(value);
            }
            else if (plain is null && string.Equals(name, "filename", StringComparison.OrdinalIgnoreCase))
            {
                plain = RepairRawUtf8(value);
            }
        }

        if (!string.IsNullOrWhiteSpace(extended))
        {
            return extended;
        }

        return string.IsNullOrWhiteSpace(plain) ? null : plain;
    }

    /// <summary>Splits <c>type; a=b; c="d;e"</c> into its parameters, honouring quoted strings and their escapes.</summary>
    private static IEnumerable<(string Name, string Value)> ReadParameters(string header)
    {
        var pos = header.IndexOf(';');
        if (pos < 0)
        {
            yield break;
        }

        while (pos < header.Length)
        {
            while (pos < header.Length && (header[pos] == ';' || header[pos] == ' ' || header[pos] == '\t'))
            {
                pos++;
            }

            var nameStart = pos;
            while (pos < header.Length && header[pos] != '=' && header[pos] != ';')
            {
                pos++;
            }

            var name = header.Substring(nameStart, pos - nameStart).Trim(' ', '\t');
            if (pos >= header.Length || header[pos] == ';')
            {
                continue; // a parameter without a value: skip it
            }

            pos++; // '='
            while (pos < header.Length && (header[pos] == ' ' || header[pos] == '\t'))
            {
                pos++;
            }

            string value;
            if (pos < header.Length && header[pos] == '"')
            {
                var sb = new StringBuilder();
                pos++;
                while (pos < header.Length && header[pos] != '"')
                {
                    if (header[pos] == '\\' && pos + 1 < header.Length)
                    {
                        pos++;
                    }

                    sb.Append(header[pos]);
                    pos++;
                }

                pos++; // closing quote (or past the end of an unterminated one)
                value = sb.ToString();
                while (pos < header.Length && header[pos] != ';')
                {
                    pos++; // junk after the closing quote
                }
            }
            else
            {
                var valueStart = pos;
                while (pos < header.Length && header[pos] != ';')
                {
                    pos++;
                }

                value = header.Substring(valueStart, pos - valueStart).Trim(' ', '\t');
            }

            if (name.Length > 0)
            {
                yield return (name, value);
            }
        }
    }

    /// <summary>Decodes <c>charset'[language]'%xx-encoded</c>; null when malformed or in a charset we do not know.</summary>
    private static string? DecodeExtValue(string value)
    {
        var firstQuote = value.IndexOf('\'');
        var secondQuote = firstQuote < 0 ? -1 : value.IndexOf('\'', firstQuote + 1);
        if (secondQuote < 0)
        {
            return null;
        }

        var charset = value.Substring(0, firstQuote).Trim();
        var bytes = PercentDecode(value.Substring(secondQuote + 1));
        if (bytes is null)
        {
            return null;
        }

        if (string.Equals(charset, "UTF-8", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return StrictUtf8.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return null;
            }
        }

        if (string.Equals(charset, "ISO-8859-1", StringComparison.OrdinalIgnoreCase))
        {
            return Latin1(bytes);
        }

        return null;
    }

    private static byte[]? PercentDecode(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '%')
            {
                if (i + 2 >= text.Length || HexValue(text[i + 1]) is not { } high || HexValue(text[i + 2]) is not { } low)
                {
                    return null;
                }

                bytes.Add((byte)((high << 4) | low));
                i += 2;
            }
            else if (c > ' ' && c < 0x7F)
            {
                bytes.Add((byte)c);
            }
            else
            {
                return null; // ext-value allows only attr-chars and %xx
            }
        }

        return bytes.ToArray();
    }

    private static int? HexValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => null,
    };

    private static string Latin1(byte[] bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        return new string(chars);
    }

    /// <summary>
    /// Many servers put raw UTF-8 in <c>filename="..."</c>; header values arrive decoded as ISO-8859-1, so such a
    /// name shows up as mojibake. When every char is a byte and those bytes are valid UTF-8, decode them (as browsers do).
    /// </summary>
    private static string RepairRawUtf8(string value)
    {
        var hasHighByte = false;
        foreach (var c in value)
        {
            if (c > 0xFF)
            {
                return value;
            }

            hasHighByte |= c >= 0x80;
        }

        if (!hasHighByte)
        {
            return value;
        }

        var bytes = new byte[value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            bytes[i] = (byte)value[i];
        }

        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return value;
        }
    }
}
