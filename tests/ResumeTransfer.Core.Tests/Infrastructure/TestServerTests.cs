using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>Proves the test server itself behaves as documented, so other tests can trust what it serves and logs.</summary>
[Collection(TestServerCollection.Name)]
public sealed class TestServerTests : IDisposable
{
    private const long Size = 300_000;
    private readonly TestServerFixture _fixture;
    private readonly HttpClient _client;

    public TestServerTests(TestServerFixture fixture)
    {
        _fixture = fixture;
        _client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = TimeSpan.FromSeconds(30) };
    }

    private TestServerHost Server => _fixture.Server;

    public void Dispose() => _client.Dispose();

    [Fact]
    public async Task WholeFileHasValidatorsAndMatchesSha256()
    {
        string tag = TestTags.New();
        long size = (2L << 20) + 12345; // crosses MiB boundaries, where the XOR term changes
        using HttpResponseMessage response = await _client.GetAsync(Server.Url($"files/a.bin?size={size}&tag={tag}"));
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(size, response.Content.Headers.ContentLength);
        Assert.Equal($"\"s1-v1-n{size}\"", response.Headers.ETag?.ToString());
        Assert.Equal(DeterministicContent.LastModified(1), response.Content.Headers.LastModified);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.Equal(Server.Sha256(size), Convert.ToHexStringLower(SHA256.HashData(body)));
        Assert.Equal(Server.Content(size), body);
    }

    [Fact]
    public void ContentDependsOnSeedVersionAndPosition()
    {
        byte[] a = Server.Content(3L << 20);
        Assert.NotEqual(a, Server.Content(3L << 20, seed: 2));
        Assert.NotEqual(a, Server.Content(3L << 20, version: 2));
        // The same block offset in the next MiB differs, so a chunk written to the wrong MiB is detectable.
        Assert.NotEqual(a.AsSpan(0, 4096).ToArray(), a.AsSpan(1 << 20, 4096).ToArray());
        var slice = new byte[100_000];
        DeterministicContent.Fill((1L << 20) - 50_000, slice);
        Assert.Equal(a.AsSpan((1 << 20) - 50_000, 100_000).ToArray(), slice);
    }

    [Theory]
    [InlineData("bytes=1000-1999", 1000, 1999)]
    [InlineData("bytes=299000-", 299000, 299999)]
    [InlineData("bytes=299990-400000", 299990, 299999)]
    [InlineData("bytes=-10", 299990, 299999)]
    public async Task RangeGives206WithContentRangeAndTheRightSlice(string range, long first, long last)
    {
        string tag = TestTags.New();
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        request.Headers.TryAddWithoutValidation("Range", range);
        using HttpResponseMessage response = await _client.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes {first}-{last}/{Size}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(Server.Content(Size).AsSpan((int)first, (int)(last - first + 1)).ToArray(), body);
        LoggedRequest logged = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal(range, logged.Range);
        Assert.Equal(206, logged.StatusCode);
        Assert.Equal(body.Length, logged.BodyBytesSent);
        Assert.Equal(LoggedRequest.BaseListener, logged.Listener);
    }

    [Theory]
    [InlineData("\"s1-v1-n300000\"", "", HttpStatusCode.PartialContent)]
    [InlineData("\"s1-v2-n300000\"", "", HttpStatusCode.OK)]
    [InlineData("W/\"s1-v1-n300000\"", "", HttpStatusCode.OK)]
    [InlineData("\"s1-v1-n300000\"", "&weaketag=1", HttpStatusCode.OK)]
    [InlineData("Thu, 02 Jan 2020 00:00:00 GMT", "", HttpStatusCode.PartialContent)]
    [InlineData("Fri, 03 Jan 2020 00:00:00 GMT", "", HttpStatusCode.OK)]
    [InlineData("Thu, 02 Jan 2020 00:00:00 GMT", "&nolastmodified=1", HttpStatusCode.OK)]
    public async Task IfRangeThatDoesNotMatchGivesTheWholeBody(string ifRange, string query, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}{query}"));
        request.Headers.TryAddWithoutValidation("Range", "bytes=100-");
        request.Headers.TryAddWithoutValidation("If-Range", ifRange);
        using HttpResponseMessage response = await _client.SendAsync(request);
        byte[] body = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK ? Size : Size - 100, body.Length);
    }

    [Fact]
    public async Task RangeBeyondTheEndGives416WithTheTotal()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}"));
        request.Headers.Range = new RangeHeaderValue(Size, null);
        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal($"bytes */{Size}", response.Content.Headers.ContentRange?.ToString());
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task IfMatchMismatchGives412()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}"));
        request.Headers.TryAddWithoutValidation("If-Match", "\"s1-v2-n300000\"");
        using HttpResponseMessage response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);

        using var matching = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}"));
        matching.Headers.TryAddWithoutValidation("If-Match", "\"s1-v1-n300000\"");
        using HttpResponseMessage ok = await _client.SendAsync(matching);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task HeadHasTheHeadersAndNoBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}"));
        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Size, response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.ETag);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("drop", 0)]
    [InlineData("drop", 70_000)]
    [InlineData("short", 70_000)]
    [InlineData("chunked,drop", 300_000)]
    [InlineData("chunked,short", 300_000)]
    public async Task CutFaultsDeliverExactlyAtBytesThenFail(string fault, long at)
    {
        string tag = TestTags.New();
        using HttpResponseMessage response = await _client.GetAsync(
            Server.Url($"files/a.bin?size={Size}&tag={tag}&fault={fault}&at={at}"), HttpCompletionOption.ResponseHeadersRead);
        (byte[] received, Exception? failure) = await ReadUntilFailureAsync(response);

        Assert.NotNull(failure);
        Assert.Equal(at, received.Length);
        Assert.Equal(Server.Content(Size).AsSpan(0, (int)at).ToArray(), received);
        Assert.Equal(at, Assert.Single(Server.Log.ForTag(tag)).BodyBytesSent);
    }

    [Fact]
    public async Task FaultAppliesOnlyToTheFirstTimesRequestsOfItsTag()
    {
        string tag = TestTags.New();
        Uri url = Server.Url($"files/a.bin?size={Size}&tag={tag}&fault=status&code=503&retryafter=7&times=2");

        using HttpResponseMessage first = await _client.GetAsync(url);
        using HttpResponseMessage second = await _client.GetAsync(url);
        using HttpResponseMessage third = await _client.GetAsync(url);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), first.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
        Assert.Equal(Size, (await third.Content.ReadAsByteArrayAsync()).Length);
        Assert.Equal([1, 2, 3], Server.Log.ForTag(tag).Select(r => r.TagSequence));
    }

    [Fact]
    public async Task FaultCountIsExactUnderParallelRequests()
    {
        string tag = TestTags.New();
        Uri url = Server.Url($"files/a.bin?size=10&tag={tag}&fault=status&code=500&times=5");
        HttpStatusCode[] codes = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using HttpResponseMessage response = await _client.GetAsync(url);
            return response.StatusCode;
        }));

        Assert.Equal(5, codes.Count(c => c == HttpStatusCode.InternalServerError));
        Assert.Equal(15, codes.Count(c => c == HttpStatusCode.OK));
    }

    [Fact]
    public async Task ChangeAfterSwitchesToTheNextVersion()
    {
        string tag = TestTags.New();
        Uri url = Server.Url($"files/a.bin?size={Size}&tag={tag}&changeafter=1");

        using HttpResponseMessage first = await _client.GetAsync(url);
        using HttpResponseMessage second = await _client.GetAsync(url);

        Assert.Equal($"\"s1-v1-n{Size}\"", first.Headers.ETag?.ToString());
        Assert.Equal($"\"s1-v2-n{Size}\"", second.Headers.ETag?.ToString());
        Assert.NotEqual(first.Content.Headers.LastModified, second.Content.Headers.LastModified);
        Assert.Equal(Server.Content(Size, version: 2), await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task WrongRangeAnnouncesAndSendsTheNextByte()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&fault=wrongrange"));
        request.Headers.Range = new RangeHeaderValue(1000, 1999);
        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal($"bytes 1001-2000/{Size}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(Server.Content(Size).AsSpan(1001, 1000).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("fault=ignorerange")]
    [InlineData("noranges=1")]
    public async Task RangeRefusalGives200WithoutAcceptRanges(string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&{query}"));
        request.Headers.Range = new RangeHeaderValue(1000, null);
        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Headers.AcceptRanges);
        Assert.Equal(Size, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task RedirectPointsAcrossOriginsAndTheLogTellsTheListenersApart()
    {
        string tag = TestTags.New();
        Uri target = Server.OtherUrl($"files/a.bin?size=10&tag={tag}");
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"redirect?to={Uri.EscapeDataString(target.AbsoluteUri)}&code=307&tag={tag}"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "secret");
        using HttpResponseMessage redirect = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        Assert.Equal(target, redirect.Headers.Location);

        using HttpResponseMessage followed = await _client.GetAsync(redirect.Headers.Location);
        Assert.Equal(HttpStatusCode.OK, followed.StatusCode);

        IReadOnlyList<LoggedRequest> log = Server.Log.ForTag(tag);
        Assert.Equal(2, log.Count);
        Assert.Equal(LoggedRequest.BaseListener, log[0].Listener);
        Assert.Equal("Bearer secret", log[0].Authorization);
        Assert.Equal(LoggedRequest.OtherListener, log[1].Listener);
        Assert.Null(log[1].Authorization);
    }

    [Fact]
    public async Task GzipAndChunkedFaultsChangeTheFraming()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&fault=gzip"));
        request.Headers.Range = new RangeHeaderValue(100, 199);
        using HttpResponseMessage gzip = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, gzip.StatusCode);
        Assert.Contains("gzip", gzip.Content.Headers.ContentEncoding);
        using (var unzip = new GZipStream(await gzip.Content.ReadAsStreamAsync(), CompressionMode.Decompress))
        using (var plain = new MemoryStream())
        {
            await unzip.CopyToAsync(plain);
            Assert.Equal(Server.Content(Size).AsSpan(100, 100).ToArray(), plain.ToArray());
        }

        using HttpResponseMessage chunked = await _client.GetAsync(Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&fault=chunked"), HttpCompletionOption.ResponseHeadersRead);
        Assert.True(chunked.Headers.TransferEncodingChunked);
        Assert.False(chunked.Content.Headers.Contains("Content-Length"));
        Assert.Equal(Server.Content(Size), await chunked.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task StoredGzipServesTheCompressedObjectWithRangesOverIt()
    {
        byte[] stored = StoredGzip.Bytes(Size);
        using (var unzip = new GZipStream(new MemoryStream(stored), CompressionMode.Decompress))
        using (var plain = new MemoryStream())
        {
            await unzip.CopyToAsync(plain);
            Assert.Equal(Server.Content(Size), plain.ToArray());
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&fault=storedgzip"));
        request.Headers.Range = new RangeHeaderValue(100, 199);
        using HttpResponseMessage response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
        Assert.Equal($"bytes 100-199/{stored.Length}", response.Content.Headers.ContentRange?.ToString());
        Assert.Equal(100, response.Content.Headers.ContentLength);
        Assert.Equal(StoredGzip.ETag(Size), response.Headers.ETag?.ToString());
        Assert.Equal(stored.AsSpan(100, 100).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Range416UnlessZeroOverlapStartAndContentRangeBendTheRangeAnswer()
    {
        async Task<HttpResponseMessage> GetAsync(string query, long from, long? to)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&{query}"));
            request.Headers.Range = new RangeHeaderValue(from, to);
            return await _client.SendAsync(request);
        }

        using (HttpResponseMessage zero = await GetAsync("fault=range416unlesszero", 0, null))
        using (HttpResponseMessage later = await GetAsync("fault=range416unlesszero", 1, 9))
        {
            Assert.Equal(HttpStatusCode.PartialContent, zero.StatusCode);
            Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, later.StatusCode);
            Assert.Equal($"bytes */{Size}", later.Content.Headers.ContentRange?.ToString());
        }

        using (HttpResponseMessage overlap = await GetAsync("fault=overlapstart&at=30", 100, 199))
        {
            Assert.Equal("bytes 70-199/" + Size, overlap.Content.Headers.ContentRange?.ToString());
            Assert.Equal(Server.Content(Size).AsSpan(70, 130).ToArray(), await overlap.Content.ReadAsByteArrayAsync());
        }

        using (HttpResponseMessage verbatim = await GetAsync("contentrange=" + Uri.EscapeDataString("bytes 0-9223372036854775807/*"), 10, 19))
        {
            Assert.Equal(["bytes 0-9223372036854775807/*"], verbatim.Content.Headers.GetValues("Content-Range"));
            Assert.Equal(Server.Content(Size).AsSpan(10, 10).ToArray(), await verbatim.Content.ReadAsByteArrayAsync());
        }
    }

    [Fact]
    public async Task StallSendsAtBytesThenNothingUntilTheClientLeaves()
    {
        string tag = TestTags.New();
        using HttpResponseMessage response = await _client.GetAsync(
            Server.Url($"files/a.bin?size={Size}&tag={tag}&fault=stall&at=1000"), HttpCompletionOption.ResponseHeadersRead);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        int received = 0;
        while (received < 1000)
        {
            int n = await body.ReadAsync(buffer.AsMemory(received));
            Assert.NotEqual(0, n);
            received += n;
        }

        using var quiet = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            int more = await body.ReadAsync(buffer, quiet.Token);
            Assert.Fail($"the stalled body sent {more} more bytes");
        });
        Assert.Equal(1000, received);
    }

    [Fact]
    public async Task AuthFilesRequireBasicCredentials()
    {
        Uri url = Server.Url($"auth/files/a.bin?size=10&tag={TestTags.New()}&user=u1&pass=p1");
        using HttpResponseMessage denied = await _client.GetAsync(url);
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Contains(denied.Headers.WwwAuthenticate, h => h.Scheme == "Basic");

        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("u1:p1")));
        using HttpResponseMessage allowed = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(Server.Content(10), await allowed.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task DispositionHeaderIsSentAsGiven()
    {
        const string value = "attachment; filename=\"a.bin\"; filename*=UTF-8''%C3%A4.bin";
        using HttpResponseMessage response = await _client.GetAsync(
            Server.Url($"files/x?size=10&tag={TestTags.New()}&disposition={Uri.EscapeDataString(value)}"));
        Assert.Equal(value, string.Join(", ", response.Content.Headers.GetValues("Content-Disposition")));
    }

    [Fact]
    public async Task ControlEndpointsServeTheLogAndHashes()
    {
        string tag = TestTags.New();
        using (HttpResponseMessage file = await _client.GetAsync(Server.Url($"files/a.bin?size=10&tag={tag}")))
        {
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        }

        string json = await _client.GetStringAsync(Server.Url($"_log?tag={tag}"));
        using var document = System.Text.Json.JsonDocument.Parse(json);
        System.Text.Json.JsonElement entry = Assert.Single(document.RootElement.EnumerateArray().ToList());
        Assert.Equal(tag, entry.GetProperty("tag").GetString());
        Assert.Equal(200, entry.GetProperty("statusCode").GetInt32());
        Assert.Equal(LoggedRequest.BaseListener, entry.GetProperty("listener").GetString());

        string sha = await _client.GetStringAsync(Server.Url("_sha256?size=1000&seed=3&version=2"));
        Assert.Equal(Server.Sha256(1000, seed: 3, version: 2), sha);
        Assert.Single(Server.Log.ForTag(tag)); // control requests are not logged
    }

    [Theory]
    [InlineData("rate=4000000")]
    [InlineData("latency=20")]
    [InlineData("noetag=1&nolastmodified=1")]
    public async Task ShapingOptionsKeepTheContent(string query)
    {
        using HttpResponseMessage response = await _client.GetAsync(Server.Url($"files/a.bin?size={Size}&tag={TestTags.New()}&{query}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Server.Content(Size), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(query.Contains("noetag", StringComparison.Ordinal), response.Headers.ETag is null);
        Assert.Equal(query.Contains("nolastmodified", StringComparison.Ordinal), response.Content.Headers.LastModified is null);
    }

    [Theory]
    [InlineData("fault=dorp")]
    [InlineData("size=-1")]
    [InlineData("rate=0")]
    public async Task BadParametersAre400SoTyposFailLoudly(string query)
    {
        using HttpResponseMessage response = await _client.GetAsync(Server.Url($"files/a.bin?size=10&tag={TestTags.New()}&{query}"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task StandaloneProcessPrintsReadyServesAndExitsOnSigterm()
    {
        await using TestServerProcess process = await TestServerProcess.StartAsync(maxLifetimeSec: 60);
        Assert.Equal("127.0.0.1", process.BaseUri.Host);
        Assert.Equal("127.0.0.2", process.OtherOriginUri.Host);

        byte[] body = await _client.GetByteArrayAsync(new Uri(process.OtherOriginUri, "files/a.bin?size=1000&seed=4"));
        Assert.Equal(DeterministicContent.Create(1000, seed: 4), body);

        Assert.Equal(0, await process.TerminateAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task<(byte[] Received, Exception? Failure)> ReadUntilFailureAsync(HttpResponseMessage response)
    {
        using var received = new MemoryStream();
        try
        {
            await using Stream body = await response.Content.ReadAsStreamAsync();
            var buffer = new byte[16384];
            int n;
            while ((n = await body.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
            }

            return (received.ToArray(), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            return (received.ToArray(), ex);
        }
    }
}
