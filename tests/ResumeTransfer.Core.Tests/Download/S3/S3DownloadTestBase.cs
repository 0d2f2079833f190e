using System.Security.Cryptography;
using Amazon.S3.Model;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Download.Sources.S3;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>What every S3 download test class against one peer needs: objects put on the peer, requests for them, the engine.</summary>
public abstract class S3DownloadTestBase<TPeer> : IClassFixture<TPeer>, IDisposable
    where TPeer : S3Peer
{
    protected const long MiB = 1024 * 1024;

    private readonly HttpClient client = TransferHttpClientFactory.Create(4);

    protected S3DownloadTestBase(TPeer peer, string folderPrefix)
    {
        Peer = peer;
        Dir = new TempDir(folderPrefix);
    }

    protected TPeer Peer { get; }

    protected TempDir Dir { get; }

    internal DownloadObserver Observer { get; } = new();

    public void Dispose()
    {
        client.Dispose();
        Dir.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Puts <paramref name="length"/> bytes made from <paramref name="seed"/> at <paramref name="key"/> (one PUT); returns their SHA-256.</summary>
    protected async Task<string> PutAsync(string key, long length, int seed)
    {
        var bytes = Content(length, seed);
        using var body = new MemoryStream(bytes);
        await Peer.Client.PutObjectAsync(new PutObjectRequest { BucketName = S3Peer.Bucket, Key = key, InputStream = body, UseChunkEncoding = false });
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    protected static byte[] Content(long length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    protected DownloadRequest Request(string key, string outFile, int connections, ExistingTargetPolicy policy = ExistingTargetPolicy.Fail) => new()
    {
        Uri = new Uri($"s3://{S3Peer.Bucket}/{key}"),
        OutputPath = outFile,
        Endpoint = Peer.Endpoint,
        Credential = Peer.Credential,
        Connections = connections,
        ExistingTarget = policy,
        MaxRetries = 2,
        RetryInterval = TimeSpan.FromMilliseconds(20),
        ComputeHash = true,
    };

    /// <summary>The engine with the real S3 source, as Save-ResumableFile runs it.</summary>
    protected DownloadEngine Engine() => new(client, TimeProvider.System, Observer);

    /// <summary>The engine over the real S3 source wrapped by <paramref name="watch"/> (hooks for ranges, overwrites, interruptions).</summary>
    internal DownloadEngine Engine(Func<IByteSource, WatchedByteSource> watch) =>
        new(request => watch(new S3ByteSource(request, Observer, TimeProvider.System)), TimeProvider.System, Observer);

    /// <summary>
    /// Stores <paramref name="length"/> bytes at <paramref name="key"/>, downloads them over <paramref name="connections"/>
    /// and checks the SHA-256, the bytes moved and the connections used; returns the ranges asked for.
    /// </summary>
    internal async Task<IReadOnlyList<(long Offset, long? End)>> DownloadWholeAsync(string key, long length, int seed, int connections)
    {
        var sha = await PutAsync(key, length, seed);
        var target = Dir.File($"whole-{seed}-{connections}.bin");
        WatchedByteSource? watched = null;

        var result = await Engine(s => watched = new WatchedByteSource(s)).DownloadAsync(Request(key, target, connections), 1, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.Equal(sha, result.Hash);
        Assert.Equal(length, result.BytesDownloaded);
        Assert.Equal(length == 0 ? 0 : connections, result.Connections); // an empty object needs no range
        Assert.False(File.Exists(target + ".rtstate"));
        return watched!.Ranges;
    }

    /// <summary>
    /// Downloads a 24 MiB object over <paramref name="connections"/> and replaces it (same length, other bytes) just before
    /// the second range is asked for: the download must end with the new object's bytes only, having started over.
    /// </summary>
    internal async Task<WatchedByteSource> OverwriteDuringDownloadAsync(string key, int connections, int seed)
    {
        var length = 24 * MiB;
        await PutAsync(key, length, seed);
        var sha = Convert.ToHexStringLower(SHA256.HashData(Content(length, seed + 1)));
        var target = Dir.File($"during-{seed}.bin");
        WatchedByteSource? watched = null;

        var result = await Engine(s => watched = new WatchedByteSource(s)
        {
            BeforeOpen = (2, async () => await PutAsync(key, length, seed + 1)),
        }).DownloadAsync(Request(key, target, connections), 1, CancellationToken.None);

        Assert.Equal(sha, Sha256Of(target));
        Assert.True(result.Restarted);
        Assert.Contains(Observer.Warnings, m => m.Contains("the remote file changed", StringComparison.Ordinal));
        return watched!;
    }

    protected static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
