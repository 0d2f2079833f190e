using System.Text;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>The field rules of docs/chunk-api.md: upload ids, file names, integers and hex digests.</summary>
internal static class ChunkApiFields
{
    /// <summary>Integers stay exact in JSON parsers that use doubles.</summary>
    public const long MaxInteger = (1L << 53) - 1;

    private static readonly HashSet<string> WindowsDeviceNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>Exactly 32 lowercase hex digits: one spelling per id, and nothing that can walk a path.</summary>
    public static bool IsUploadId(string? value) => value is { Length: 32 } && value.All(IsLowerHex);

    public static string ParseUploadId(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw ChunkApiException.InvalidField("upload_id", "upload_id is missing. Send the upload's id (32 lowercase hex digits).");
        }

        if (!IsUploadId(value))
        {
            throw new ChunkApiException(
                StatusCodes.Status400BadRequest,
                ChunkApiErrorCodes.InvalidUploadId,
                "upload_id must be exactly 32 lowercase hex digits (128 random bits chosen by the client).");
        }

        return value;
    }

    /// <summary>Returns why <paramref name="name"/> cannot be a stored file's name, or null when it can.</summary>
    public static string? FileNameProblem(string name)
    {
        if (name.Length == 0)
        {
            return "is empty";
        }

        if (Encoding.UTF8.GetByteCount(name) > 255)
        {
            return "is longer than 255 bytes";
        }

        if (name is "." or "..")
        {
            return "is a directory reference";
        }

        foreach (var c in name)
        {
            if (c is '/' or '\\')
            {
                return "contains a path separator: send a file name, not a path";
            }

            if (c < 0x20 || c == 0x7F)
            {
                return "contains a control character";
            }

            // Refused too so this receiver behaves the same on every system (Windows cannot store these).
            if (c is '<' or '>' or ':' or '"' or '|' or '?' or '*')
            {
                return $"contains '{c}', which Windows cannot store";
            }
        }

        if (name.EndsWith('.') || name.EndsWith(' '))
        {
            return "ends with a dot or a space, which Windows drops";
        }

        var stem = name.Split('.')[0];
        if (WindowsDeviceNames.Contains(stem))
        {
            return $"is the Windows device name {stem}";
        }

        return null;
    }

    public static string ParseFileName(string? value, string field = "filename")
    {
        if (value is null)
        {
            throw ChunkApiException.InvalidField(field, $"{field} is missing. Send the finished file's name.");
        }

        if (FileNameProblem(value) is { } problem)
        {
            throw new ChunkApiException(
                StatusCodes.Status400BadRequest,
                ChunkApiErrorCodes.InvalidFileName,
                $"The file name {problem}. Send the base name of the file (no directories).");
        }

        return value;
    }

    /// <summary>Plain decimal: no sign, no leading zeros, at most 2^53 - 1.</summary>
    public static long ParseInteger(string? value, string field, long min, long max)
    {
        if (value is null)
        {
            throw ChunkApiException.InvalidField(field, $"{field} is missing.");
        }

        var wellFormed = value.Length is > 0 and <= 16
            && value.All(char.IsAsciiDigit)
            && (value.Length == 1 || value[0] != '0');
        if (!wellFormed || !long.TryParse(value, out var number) || number > MaxInteger)
        {
            throw ChunkApiException.InvalidField(field, $"{field} must be a plain decimal integer, got '{Shorten(value)}'.");
        }

        if (number < min || number > max)
        {
            throw ChunkApiException.InvalidField(field, $"{field} must be between {min} and {max}, got {number}.");
        }

        return number;
    }

    /// <summary>Hex digest of the given length, either case; returned lowercase.</summary>
    public static string ParseHex(string? value, string field, int digits)
    {
        if (value is null)
        {
            throw ChunkApiException.InvalidField(field, $"{field} is missing.");
        }

        if (value.Length != digits || !value.All(char.IsAsciiHexDigit))
        {
            throw ChunkApiException.InvalidField(field, $"{field} must be {digits} hex digits, got '{Shorten(value)}'.");
        }

        return value.ToLowerInvariant();
    }

    private static bool IsLowerHex(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f');

    private static string Shorten(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
