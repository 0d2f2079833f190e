using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using ResumeTransfer.Core.Download;
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
    /// An engine whose probe goes to <paramref name="probeUrl"/> and whose ranges go to <paramref name="rangeUrl"/>
    /// (each defaulting to the request's own address): the same file with other query options. Uses: a throttled
    /// first run whose resume then runs at full speed under the same address (the state is bound to the request's
    /// address), and keeping the probe away from drop faults (the test server resets the connection after the probe's
    /// one byte too, and with retrying off the data request can meet that dead pooled connection before any byte).
    /// </summary>
    public static DownloadEngine RoutedEngine(HttpClient client, ITransferObserver observer, Uri? probeUrl = null, Uri? rangeUrl = null) => new(
        r => new RoutingByteSource(
            new Core.Download.Sources.Http.HttpByteSource(client, probeUrl is null ? r : Request(probeUrl, r.OutputPath), observer),
            new Core.Download.Sources.Http.HttpByteSource(client, rangeUrl is null ? r : Request(rangeUrl, r.OutputPath, headers: r.Headers.Count > 0 ? r.Headers : null), observer),
            _ => true),
        TimeProvider.System,
        observer);

    public static string Sha256OfFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The GETs for data, in arrival order: every GET but the one-byte probe (<c>bytes=0-0</c>) that a resume, a prefix
    /// resume or a source without the opening probe sends. A fresh download has no such probe: its first data request
    /// (<c>bytes=0-</c>) is the probe.
    /// </summary>
    public static List<LoggedRequest> DataRequests(TestServerHost server, string tag) =>
        server.Log.ForTag(tag).Where(r => r.Method == "GET" && r.Range != "bytes=0-0").ToList();

    /// <summary>A from "bytes=A-B" or "bytes=A-".</summary>
    public static long RangeStart(string? range)
    {
        Assert.NotNull(range);
        Assert.StartsWith("bytes=", range, StringComparison.Ordinal);
        return long.Parse(range.AsSpan(6, range.IndexOf('-', StringComparison.Ordinal) - 6), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A part file of <paramref name="size"/> bytes of <paramref name="marker"/> (bytes the server never sends) and a state
    /// of version 1 that says the first <paramref name="onDisk"/> are done: if any of them is fetched again, it shows.
    /// </summary>
    public static void PlantPart(Uri url, string target, long size, long onDisk, byte marker = 0xEE)
    {
        File.WriteAllBytes(target + TargetPaths.PartSuffix, Enumerable.Repeat(marker, (int)size).ToArray());
        var state = new DownloadState
        {
            Uri = url.GetLeftPart(UriPartial.Path),
            UriHash = DownloadStateStore.HashUri(url),
            Length = size,
            ETag = $"\"s1-v1-n{size}\"",
            SupportsRanges = true,
            Segments = { new DownloadStateSegment { Start = 0, End = size, Next = onDisk } },
        };
        new DownloadStateStore(target + TargetPaths.StateSuffix).Save(state);
    }

    public static DownloadState ReadState(string target) =>
        new DownloadStateStore(target + TargetPaths.StateSuffix).Load() ?? throw new InvalidOperationException("No state file.");

    public static long BytesOnDisk(DownloadState state) => state.Segments.Sum(s => s.Next - s.Start);

    /// <summary>Waits (at most 20 s) until <paramref name="condition"/> holds, failing if the download ends first.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, Task running, string failure)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.False(running.IsCompleted, "The download ended first: " + failure);
            Assert.True(DateTime.UtcNow < deadline, failure);
            await Task.Delay(20);
        }
    }

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
