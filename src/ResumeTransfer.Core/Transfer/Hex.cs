using System;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Lower-case hexadecimal text of bytes and back, as hashes, S3 ETags and state file names use it (netstandard2.0 has
/// no Convert.ToHexString). One helper for both directions.
/// </summary>
internal static class Hex
{
    public static string Lower(byte[] bytes)
    {
        var chars = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digit(bytes[i] >> 4);
            chars[(2 * i) + 1] = Digit(bytes[i] & 0xF);
        }

        return new string(chars);
    }

    /// <summary>The bytes of hex text, either case; throws <see cref="FormatException"/> when it is not hex.</summary>
    public static byte[] ToBytes(string hex)
    {
        if (hex.Length % 2 != 0)
        {
            throw new FormatException($"'{hex}' is not hex.");
        }

        var bytes = new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)((Value(hex, 2 * i) << 4) | Value(hex, (2 * i) + 1));
        }

        return bytes;
    }

    private static char Digit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);

    private static int Value(string hex, int index) => hex[index] switch
    {
        >= '0' and <= '9' => hex[index] - '0',
        >= 'a' and <= 'f' => hex[index] - 'a' + 10,
        >= 'A' and <= 'F' => hex[index] - 'A' + 10,
        _ => throw new FormatException($"'{hex}' is not hex."),
    };
}
