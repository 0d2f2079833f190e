using System;
using System.IO;
using System.Security.Cryptography;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Identifies one version of a source file cheaply: length, last write time (UTC) and the SHA-256 of its first and
/// last MiB. A state file whose fingerprint differs from the file's belongs to other content: that upload is abandoned,
/// never continued with mixed bytes.
/// </summary>
/// <param name="Length">File length in bytes.</param>
/// <param name="LastWriteTimeUtc">Last write time, UTC.</param>
/// <param name="HeadSha256">Hex SHA-256 of the first min(1 MiB, length) bytes.</param>
/// <param name="TailSha256">Hex SHA-256 of the last min(1 MiB, length) bytes.</param>
public sealed record SourceFingerprint(long Length, DateTime LastWriteTimeUtc, string HeadSha256, string TailSha256)
{
    /// <summary>Bytes hashed at each end.</summary>
    public const int SampleSize = 1024 * 1024;

    /// <summary>Reads the fingerprint of the file at <paramref name="path"/>.</summary>
    public static SourceFingerprint Compute(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new TransferException(TransferErrorKind.NotFound, $"The file to upload, '{path}', does not exist. Check the path.");
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = stream.Length;
        var head = HashRange(stream, 0, (int)Math.Min(SampleSize, length));
        var tailLength = (int)Math.Min(SampleSize, length);
        var tail = HashRange(stream, length - tailLength, tailLength);
        info.Refresh();
        return new SourceFingerprint(length, info.LastWriteTimeUtc, head, tail);
    }

    /// <summary>True when both describe the same content (every field equal; times compared to the tick).</summary>
    public bool Matches(SourceFingerprint other) =>
        Length == other.Length
        && LastWriteTimeUtc.Ticks == other.LastWriteTimeUtc.Ticks
        && string.Equals(HeadSha256, other.HeadSha256, StringComparison.OrdinalIgnoreCase)
        && string.Equals(TailSha256, other.TailSha256, StringComparison.OrdinalIgnoreCase);

    private static string HashRange(FileStream stream, long offset, int count)
    {
        var buffer = new byte[count];
        stream.Position = offset;
        var filled = 0;
        while (filled < count)
        {
            var read = stream.Read(buffer, filled, count - filled);
            if (read == 0)
            {
                throw new IOException($"'{stream.Name}' became shorter while its fingerprint was read.");
            }

            filled += read;
        }

        using var sha = SHA256.Create();
        return Hex.Lower(sha.ComputeHash(buffer));
    }
}
