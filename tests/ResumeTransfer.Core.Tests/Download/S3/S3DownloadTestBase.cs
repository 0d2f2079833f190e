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

    protected static string Sha256Of(string path)
    {
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file));
    }
}
