using System.Security.Cryptography;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>Source files for upload tests: deterministic pseudo-random content (so swapped or shifted chunks change the hash).</summary>
internal static class SourceFiles
{
    public static string Create(string path, long length, int seed = 1)
    {
        var random = new Random(seed);
        var buffer = new byte[1024 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        for (long written = 0; written < length;)
        {
            random.NextBytes(buffer);
            var count = (int)Math.Min(buffer.Length, length - written);
            stream.Write(buffer, 0, count);
            written += count;
        }

        return path;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
