using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;

namespace ResumeTransfer.TestServer;

/// <summary>
/// The object <c>fault=storedgzip</c> serves: the gzip of the deterministic content, stored compressed the way object
/// stores keep a file uploaded with <c>Content-Encoding: gzip</c>. Its length, ranges and ETag are those of the
/// compressed bytes. Deterministic (.NET writes no timestamp into the gzip header), cached per (size, seed, version).
/// </summary>
public static class StoredGzip
{
    /// <summary>Largest content size the server compresses for this fault.</summary>
    public const long MaxContentSize = 64L << 20;

    private static readonly ConcurrentDictionary<(long Size, int Seed, int Version), Lazy<byte[]>> Objects = new();

    /// <summary>The stored (compressed) bytes for the content of (size, seed, version).</summary>
    public static byte[] Bytes(long size, int seed = 1, int version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxContentSize);
        return Objects.GetOrAdd((size, seed, version), key => new Lazy<byte[]>(() => Compress(key.Size, key.Seed, key.Version))).Value;
    }

    /// <summary>Hex SHA-256 of <see cref="Bytes"/>: what a client that saves the bytes as served ends up with.</summary>
    public static string Sha256(long size, int seed = 1, int version = 1) => Convert.ToHexStringLower(SHA256.HashData(Bytes(size, seed, version)));

    /// <summary>The stored object's ETag: not the one of the uncompressed content (another representation).</summary>
    public static string ETag(long size, int seed = 1, int version = 1) => DeterministicContent.ETag(size, seed, version).TrimEnd('"') + "-gz\"";

    private static byte[] Compress(long size, int seed, int version)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            byte[] buffer = new byte[64 * 1024];
            for (long done = 0; done < size;)
            {
                int n = (int)Math.Min(buffer.Length, size - done);
                DeterministicContent.Fill(done, buffer.AsSpan(0, n), seed, version);
                gzip.Write(buffer, 0, n);
                done += n;
            }
        }

        return output.ToArray();
    }
}
