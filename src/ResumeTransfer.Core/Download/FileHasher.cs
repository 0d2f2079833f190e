using System;
using System.Buffers;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>Hashes a finished file with one of the algorithms the cmdlets offer (SHA256, SHA384, SHA512, SHA1, MD5).</summary>
internal static class FileHasher
{
    private const int BufferSize = 1024 * 1024;

    /// <summary>The canonical (upper-case) name, or null when the algorithm is not offered.</summary>
    public static string? Normalize(string? algorithm) => algorithm?.Trim().ToUpperInvariant() switch
    {
        "SHA256" or "SHA-256" => "SHA256",
        "SHA384" or "SHA-384" => "SHA384",
        "SHA512" or "SHA-512" => "SHA512",
        "SHA1" or "SHA-1" => "SHA1",
        "MD5" => "MD5",
        _ => null,
    };

    /// <summary>Length of the algorithm's hash in hex digits.</summary>
    public static int HexLength(string normalized) => normalized switch
    {
        "SHA256" => 64,
        "SHA384" => 96,
        "SHA512" => 128,
        "SHA1" => 40,
        _ => 32,
    };

    /// <summary>True when <paramref name="actual"/> and <paramref name="expected"/> are the same hash, whatever the case of their hex digits.</summary>
    public static bool Matches(string actual, string expected) =>
        string.Equals(actual.Trim(), expected.Trim(), StringComparison.OrdinalIgnoreCase);

    /// <summary>The lowercase hex hash of the file's content.</summary>
    public static async Task<string> ComputeAsync(string path, string normalizedAlgorithm, CancellationToken cancellationToken)
    {
        using var algorithm = Create(normalizedAlgorithm);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
            int read;
            while ((read = await stream.ReadAsync(buffer, 0, BufferSize, cancellationToken).ConfigureAwait(false)) > 0)
            {
                algorithm.TransformBlock(buffer, 0, read, null, 0);
            }

            algorithm.TransformFinalBlock(buffer, 0, 0);
            return Hex.Lower(algorithm.Hash!);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static HashAlgorithm Create(string normalized)
    {
        switch (normalized)
        {
            case "SHA256":
                return SHA256.Create();
            case "SHA384":
                return SHA384.Create();
            case "SHA512":
                return SHA512.Create();
#pragma warning disable CA5350, CA5351 // The user names the algorithm to compare with a published hash; it protects nothing by itself.
            case "SHA1":
                return SHA1.Create();
            case "MD5":
                return MD5.Create();
#pragma warning restore CA5350, CA5351
            default:
                throw new ArgumentOutOfRangeException(nameof(normalized), normalized, "Unsupported hash algorithm.");
        }
    }
}
