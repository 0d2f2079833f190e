using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.State;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>Shared pieces of the engine tests: requests with test-friendly defaults, and readers of outcomes.</summary>
internal static class DownloadKit
{
    public const long MiB = 1024 * 1024;

    public static DownloadRequest Request(
        Uri uri,
        string output,
        int connections = 4,
        ExistingTargetPolicy policy = ExistingTargetPolicy.Fail,
        int maxRetries = 3,
        bool outputIsDirectory = false,
        string? expectedHash = null,
        bool computeHash = false,
        TimeSpan? stallTimeout = null,
        IReadOnlyDictionary<string, string>? headers = null,
        NetworkCredential? credential = null) => new()
    {
        Uri = uri,
        OutputPath = output,
        OutputIsDirectory = outputIsDirectory,
        Connections = connections,
        ExistingTarget = policy,
        MaxRetries = maxRetries,
        RetryInterval = TimeSpan.FromMilliseconds(20),
        StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(10),
        ExpectedHash = expectedHash,
        ComputeHash = computeHash,
        Headers = headers ?? new Dictionary<string, string>(),
        Credential = credential,
        AllowUnencryptedAuthentication = headers is not null || credential is not null,
    };

    /// <summary>
    /// An engine whose probe goes to <paramref name="probeUrl"/> (same file, no fault) while every range goes to the
    /// request's own address. The test server applies drop/short faults to the probe too and resets its connection
    /// after the probe's one byte; with retrying off, the data request can then meet that dead pooled connection
    /// before any byte, so tests that need "the data is cut at N, retrying off" keep the probe away from the fault.
    /// </summary>
    public static DownloadEngine EngineProbingElsewhere(HttpClient client, ITransferObserver observer, Uri probeUrl) => new(
        r => new RoutingByteSource(
            new Sources.Http.HttpByteSource(client, Request(probeUrl, r.OutputPath), observer),
            new Sources.Http.HttpByteSource(client, r, observer),
            _ => true),
        TimeProvider.System,
        observer);

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The GETs for data (not the one-byte probe), in arrival order.</summary>
    public static List<LoggedRequest> DataRequests(TestServerHost server, string tag) =>
        server.Log.ForTag(tag).Where(r => r.Method == "GET" && r.Range != "bytes=0-0").ToList();

    /// <summary>A from "bytes=A-B" or "bytes=A-".</summary>
    public static long RangeStart(string? range)
    {
        Assert.NotNull(range);
        Assert.StartsWith("bytes=", range, StringComparison.Ordinal);
        return long.Parse(range.AsSpan(6, range.IndexOf('-', StringComparison.Ordinal) - 6), CultureInfo.InvariantCulture);
    }

    public static DownloadState ReadState(string target) =>
        new DownloadStateStore(target + TargetPaths.StateSuffix).Load() ?? throw new InvalidOperationException("No state file.");

    public static long BytesOnDisk(DownloadState state) => state.Segments.Sum(s => s.Next - s.Start);

    /// <summary>Waits (bounded) until the server has sent at least <paramref name="bytes"/> body bytes for the tag.</summary>
    public static async Task WaitForBodyBytesAsync(TestServerHost server, string tag, long bytes, Task running)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (server.Log.ForTag(tag).Where(r => r.Range != "bytes=0-0").Sum(r => r.BodyBytesSent) < bytes)
        {
            Assert.False(running.IsCompleted, "The download ended before the test could interrupt it.");
            Assert.True(DateTime.UtcNow < deadline, "The download did not make progress.");
            await Task.Delay(20);
        }
    }
}
