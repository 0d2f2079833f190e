using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>
/// What neither Swift nor s3rver answers or shows: 503 SlowDown with Retry-After (the download waits as long as asked,
/// then continues), a key whose name needs escaping, and how many GetObjects are in flight at once. A real Kestrel
/// server that speaks just enough S3.
/// </summary>
public sealed class S3ThrottlingTests : IDisposable
{
    private const string ETag = "\"0123456789abcdef0123456789abcdef\"";
    private readonly TempDir dir = new("rt-s3dl-throttle");
    private readonly HttpClient client = TransferHttpClientFactory.Create(2);
    private readonly DownloadObserver observer = new();

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task SlowDownIsRetriedAfterTheRetryAfterTheStoreAsked()
    {
        var content = new byte[300_000];
        new Random(5).NextBytes(content);
        var slowDowns = 0;
        await using var server = await S3FaultServer.StartAsync(async context =>
        {
            if (Interlocked.Increment(ref slowDowns) <= 2)
            {
                context.Response.StatusCode = 503;
                context.Response.Headers["Retry-After"] = "1";
                context.Response.ContentType = "application/xml";
                await context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
                return;
            }

            await ServeRangeAsync(context, content);
        });
        var target = dir.File("slow.bin");
        var watch = Stopwatch.StartNew();

        var result = await new DownloadEngine(client, TimeProvider.System, observer).DownloadAsync(
            new DownloadRequest
            {
                Uri = new Uri($"s3://{S3FaultServer.Bucket}/dir/slow%20file.bin"),
                OutputPath = target,
                Endpoint = server.Endpoint,
                Credential = new NetworkCredential("test", "test"),
                Connections = 1,
                MaxRetries = 3,
                RetryInterval = TimeSpan.FromMilliseconds(1),
            },
            1,
            CancellationToken.None);

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(target)));
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(2), $"took {watch.Elapsed}: the two Retry-After: 1 were not honoured");
        Assert.Equal(2, observer.Messages.Count(m => m.Text.Contains("SlowDown", StringComparison.Ordinal) && m.Text.Contains("retrying in 1 s", StringComparison.Ordinal)));
        Assert.All(server.Log, line => Assert.StartsWith("GET /faults/dir/slow%20file.bin", line, StringComparison.Ordinal));
        Assert.Equal(result.Length, content.Length);
    }

    [Fact]
    public async Task ADownloadWithMoreConnectionsAfterOneWithOneGetsThemAll()
    {
        // The SDK shares HttpClients among S3 clients with the same config string: a one-connection pool must not be.
        var content = new byte[24 * 1024 * 1024];
        new Random(6).NextBytes(content);
        var inFlight = 0;
        var most = 0;
        await using var server = await S3FaultServer.StartAsync(async context =>
        {
            var now = Interlocked.Increment(ref inFlight);
            lock (content)
            {
                most = Math.Max(most, now);
            }

            try
            {
                await ServeRangeAsync(context, content, delayPerChunk: TimeSpan.FromMilliseconds(2));
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
        DownloadRequest Request(string name, int connections) => new()
        {
            Uri = new Uri($"s3://{S3FaultServer.Bucket}/object.bin"),
            OutputPath = dir.File(name),
            Endpoint = server.Endpoint,
            Credential = new NetworkCredential("test", "test"),
            Connections = connections,
        };
        var engine = new DownloadEngine(client, TimeProvider.System, observer);

        await engine.DownloadAsync(Request("one.bin", 1), 1, CancellationToken.None);
        Assert.Equal(1, most);
        most = 0;
        var result = await engine.DownloadAsync(Request("three.bin", 3), 2, CancellationToken.None);

        Assert.Equal(3, result.Connections);
        Assert.Equal(3, most);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await File.ReadAllBytesAsync(dir.File("three.bin"))));
    }

    /// <summary>Answers a ranged GetObject with 206 and Content-Range, honouring If-Match; optionally slowly (64 KiB at a time).</summary>
    private static async Task ServeRangeAsync(HttpContext context, byte[] content, TimeSpan delayPerChunk = default)
    {
        var range = context.Request.Headers.Range.ToString();
        if (context.Request.Headers.IfMatch.ToString() is { Length: > 0 } ifMatch && ifMatch != ETag)
        {
            context.Response.StatusCode = 412;
            return;
        }

        var spec = range.Substring("bytes=".Length).Split('-');
        var first = long.Parse(spec[0], System.Globalization.CultureInfo.InvariantCulture);
        var last = spec[1].Length == 0 ? content.Length - 1 : Math.Min(long.Parse(spec[1], System.Globalization.CultureInfo.InvariantCulture), content.Length - 1);
        context.Response.StatusCode = 206;
        context.Response.Headers.ETag = ETag;
        context.Response.Headers.LastModified = "Sun, 06 Dec 2026 10:00:00 GMT";
        context.Response.Headers.ContentRange = $"bytes {first}-{last}/{content.Length}";
        context.Response.ContentLength = last - first + 1;
        for (var at = first; at <= last; at += 64 * 1024)
        {
            await context.Response.Body.WriteAsync(content.AsMemory((int)at, (int)Math.Min(64 * 1024, last - at + 1)));
            if (delayPerChunk > TimeSpan.Zero)
            {
                await Task.Delay(delayPerChunk);
            }
        }
    }
}
