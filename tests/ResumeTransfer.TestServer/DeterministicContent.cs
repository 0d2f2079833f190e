using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Security.Cryptography;

namespace ResumeTransfer.TestServer;

/// <summary>
/// The bytes the test server serves: a pure function of (seed, version, position), so a test can compute
/// what any slice must be, and swapped, shifted or mixed-version chunks are detectable.
/// </summary>
/// <remarks>
/// Byte i is <c>block[i % 1 MiB] XOR (byte)(i &gt;&gt; 20)</c>, where block is a pseudo-random 1 MiB
/// block per (seed, version). The block is computed once and cached, so serving costs one copy and one XOR
/// per byte: fast enough for benchmarks that pull hundreds of MiB. The whole file is never held in memory.
/// </remarks>
public static class DeterministicContent
{
    /// <summary>Size of the repeating pseudo-random block (1 MiB).</summary>
    public const int BlockSize = 1 << 20;

    /// <summary>Largest size <see cref="Create"/> will materialise as an array.</summary>
    public const long MaxMaterialisedSize = 256L << 20;

    private static readonly ConcurrentDictionary<(int Seed, int Version), byte[]> Blocks = new();
    private static readonly ConcurrentDictionary<(long Size, int Seed, int Version), Lazy<string>> Hashes = new();

    /// <summary>Fills <paramref name="destination"/> with the content bytes starting at <paramref name="offset"/>.</summary>
    public static void Fill(long offset, Span<byte> destination, int seed = 1, int version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        byte[] block = Block(seed, version);
        while (!destination.IsEmpty)
        {
            int inBlock = (int)(offset & (BlockSize - 1));
            int count = Math.Min(destination.Length, BlockSize - inBlock);
            Span<byte> target = destination[..count];
            block.AsSpan(inBlock, count).CopyTo(target);
            Xor(target, (byte)(offset >> 20));
            destination = destination[count..];
            offset += count;
        }
    }

    /// <summary>The first <paramref name="size"/> content bytes as an array (for small sizes only).</summary>
    public static byte[] Create(long size, int seed = 1, int version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxMaterialisedSize);
        var bytes = new byte[size];
        Fill(0, bytes, seed, version);
        return bytes;
    }

    /// <summary>Lower-case hex SHA-256 of the first <paramref name="size"/> content bytes; cached per (size, seed, version).</summary>
    public static string Sha256(long size, int seed = 1, int version = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return Hashes.GetOrAdd((size, seed, version), key => new Lazy<string>(() => ComputeSha256(key.Size, key.Seed, key.Version))).Value;
    }

    /// <summary>The ETag the server sends for this content (strong, quotes included).</summary>
    public static string ETag(long size, int seed = 1, int version = 1) => $"\"s{seed}-v{version}-n{size}\"";

    /// <summary>The Last-Modified the server sends for a version: fixed and years in the past.</summary>
    public static DateTimeOffset LastModified(int version) =>
        new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero).AddDays(version);

    private static string ComputeSha256(long size, int seed, int version)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        try
        {
            for (long offset = 0; offset < size;)
            {
                int count = (int)Math.Min(BlockSize, size - offset);
                Fill(offset, buffer.AsSpan(0, count), seed, version);
                hash.AppendData(buffer, 0, count);
                offset += count;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static byte[] Block(int seed, int version) => Blocks.GetOrAdd((seed, version), static key =>
    {
        // SplitMix64: tiny, fast, and good enough that shifted or swapped data never matches by accident.
        ulong state = ((ulong)(uint)key.Seed << 32) ^ (uint)key.Version ^ 0x9E3779B97F4A7C15UL;
        var block = new byte[BlockSize];
        Span<ulong> words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(block.AsSpan());
        for (int i = 0; i < words.Length; i++)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong z = state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            words[i] = z ^ (z >> 31);
        }

        return block;
    });

    private static void Xor(Span<byte> data, byte value)
    {
        if (value == 0)
        {
            return;
        }

        int i = 0;
        if (Vector.IsHardwareAccelerated && data.Length >= Vector<byte>.Count)
        {
            var mask = new Vector<byte>(value);
            Span<Vector<byte>> vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Vector<byte>>(data);
            for (int v = 0; v < vectors.Length; v++)
            {
                vectors[v] ^= mask;
            }

            i = vectors.Length * Vector<byte>.Count;
        }

        for (; i < data.Length; i++)
        {
            data[i] ^= value;
        }
    }
}
