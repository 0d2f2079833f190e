using System;

namespace ResumeTransfer.Core.Upload;

/// <summary>Lower-case hex, as S3 ETags and the state file use it (Convert.ToHexString is not on netstandard2.0).</summary>
internal static class HexString
{
    public static string From(byte[] bytes)
    {
        var chars = new char[bytes.Length * 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            chars[2 * i] = Digit(bytes[i] >> 4);
            chars[(2 * i) + 1] = Digit(bytes[i] & 0xF);
        }

        return new string(chars);
    }

    public static byte[] ToBytes(string hex)
    {
        if (hex.Length % 2 != 0)
        {
            throw new FormatException($"'{hex}' is not hex.");
        }

        var bytes = new byte[hex.Length / 2];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = Convert.ToByte(hex.Substring(2 * i, 2), 16);
        }

        return bytes;
    }

    private static char Digit(int value) => (char)(value < 10 ? '0' + value : 'a' + value - 10);
}
