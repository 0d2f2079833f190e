using System.Net;
using System.Text;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Download.Sources.Http;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

/// <summary><see cref="HttpByteSource"/> against the fault-injecting test server; outcomes checked in the server's request log.</summary>
public sealed class HttpByteSourceTests : IClassFixture<TestServerFixture>, IDisposable
{
    private const long Size = 1000;
    private static readonly DateTimeOffset Version1LastModified = new(2020, 1, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly string Version1ETag = $"\"s1-v1-n{Size}\"";

    private readonly TestServerFixture fixture;
    private readonly HttpClient client = TransferHttpClientFactory.Create(8);
    private readonly RecordingObserver observer = new();

    public HttpByteSourceTests(TestServerFixture fixture)
    {
        this.fixture = fixture;
    }

    private TestServerHost Server => fixture.Server;

    public void Dispose() => client.Dispose();

    // ---- probe ----

    [Fact]
    public async Task ProbeOfRangeServerReportsLengthValidatorsAndRanges()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.True(probe.SupportsRanges);
        Assert.Equal(new RemoteIdentity(Size, Version1ETag, Version1LastModified, LastModifiedIsStrong: true), probe.Identity);
        Assert.Null(probe.SuggestedFileName);
        Assert.Equal(Server.Url("files/a.bin").AbsoluteUri, probe.ResolvedUri.AbsoluteUri); // no query
        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("GET", entry.Method);
        Assert.Equal("bytes=0-0", entry.Range);
        Assert.Equal("identity", entry.AcceptEncoding);
        Assert.Null(entry.IfRange);
        Assert.Equal(206, entry.StatusCode);
        Assert.Equal(RequestPolicy.DefaultUserAgent, entry.UserAgent);
        Assert.StartsWith("ResumeTransfer/", entry.UserAgent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeOfServerWithoutRangesReportsNoRangesAndDoesNotReadTheBody()
    {
        var tag = TestTags.New();
        // Big enough that socket buffers (tens of MiB on loopback) cannot hold half of it: only reading it could.
        const long big = 1L << 30;
        using var source = Source(Server.Url($"files/big.bin?size={big}&noranges=1&tag={tag}"));

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.False(probe.SupportsRanges);
        Assert.Equal(big, probe.Identity.Length);
        Assert.Equal($"\"s1-v1-n{big}\"", probe.Identity.ETag);
        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal(200, entry.StatusCode);
        Assert.True(entry.BodyBytesSent < big / 4, $"the probe let the server send {entry.BodyBytesSent} of {big} bytes");
    }

    [Fact]
    public async Task ProbeOfChunkedWholeBodyHasUnknownLength()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&noranges=1&fault=chunked&tag={tag}"));

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.False(probe.SupportsRanges);
        Assert.Null(probe.Identity.Length);
        Assert.Equal(Version1ETag, probe.Identity.ETag);
    }

    [Fact]
    public async Task ProbeOfEmptyFileIsZeroLength()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/empty.bin?size=0&tag={tag}"));

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(0L, probe.Identity.Length);
        Assert.Equal(416, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task ProbeSuggestsExtendedFileNameFromContentDisposition()
    {
        var tag = TestTags.New();
        var disposition = Uri.EscapeDataString("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt");
        using var source = Source(Server.Url($"files/a.bin?size={Size}&disposition={disposition}&tag={tag}"));

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal("€ rates.txt", probe.SuggestedFileName);
    }

    [Fact]
    public async Task ProbeWithoutResponseHeadersWithinStallTimeoutTimesOut()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&latency=5000&tag={tag}"), stallTimeout: TimeSpan.FromMilliseconds(300));

        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);
    }

    // ---- opening probe: the first data request of a fresh download is the probe ----

    [Fact]
    public async Task OpeningProbeOfRangeServerIsOneRequestForTheWholeFile()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));

        var (probe, body) = await ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None);
        using (body)
        {
            Assert.True(probe.SupportsRanges);
            Assert.Equal(new RemoteIdentity(Size, Version1ETag, Version1LastModified, LastModifiedIsStrong: true), probe.Identity);
            Assert.Equal(RangeAnswer.Partial, body.Answer);
            Assert.Equal(0, body.StartOffset);
            Assert.Equal(Size, body.Length);
            Assert.Equal(probe.Identity, body.Identity);
            Assert.Equal(Server.Content(Size), await ReadAllAsync(body.Content));
        }

        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("bytes=0-", entry.Range);
        Assert.Null(entry.IfRange); // nothing is known yet
        Assert.Equal("identity", entry.AcceptEncoding);
        Assert.Equal(206, entry.StatusCode);
    }

    [Fact]
    public async Task OpeningProbeOfServerWithoutRangesHandsOverTheWholeBody()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&noranges=1&fault=chunked&tag={tag}"));

        var (probe, body) = await ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None);
        using (body)
        {
            Assert.False(probe.SupportsRanges);
            Assert.Null(probe.Identity.Length);
            Assert.Equal(RangeAnswer.Whole, body.Answer);
            Assert.Equal(Server.Content(Size), await ReadAllAsync(body.Content));
        }

        Assert.Equal(200, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task OpeningProbeOfEmptyFileIsNotSatisfiableWithZeroLength()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/empty.bin?size=0&tag={tag}"));

        var (probe, body) = await ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None);
        using (body)
        {
            Assert.Equal(0L, probe.Identity.Length);
            Assert.Equal(RangeAnswer.NotSatisfiable, body.Answer);
        }

        Assert.Equal(416, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task OpeningProbeSuggestsTheFileNameFromContentDisposition()
    {
        var tag = TestTags.New();
        var disposition = Uri.EscapeDataString("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt");
        using var source = Source(Server.Url($"files/a.bin?size={Size}&disposition={disposition}&tag={tag}"));

        var (probe, body) = await ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None);
        body.Dispose();

        Assert.Equal("€ rates.txt", probe.SuggestedFileName);
    }

    [Theory]
    [InlineData("wrongrange", TransferErrorKind.ProtocolViolation, true)]
    [InlineData("gzip", TransferErrorKind.ProtocolViolation, false)]
    public async Task OpeningProbeChecksTheRangeLikeAnyOther(string fault, TransferErrorKind kind, bool transient)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault={fault}&tag={tag}"));

        var ex = await Assert.ThrowsAnyAsync<TransferException>(() => ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None));

        Assert.Equal(kind, ex.Kind);
        Assert.Equal(transient, ex is TransientTransferException);
    }

    [Fact]
    public async Task OpeningProbeBodyThatEndsShortThrows()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=drop&at=300&tag={tag}"));

        var (_, body) = await ((IOpeningProbe)source).ProbeByOpeningAsync(CancellationToken.None);
        using (body)
        {
            var (read, error) = await ReadUntilFailureAsync(body.Content);

            Assert.Equal(300, read);
            Assert.IsType<TransientTransferException>(error);
        }
    }

    [Fact]
    public void LastModifiedIsStrongOnlyAMinuteBeforeDate()
    {
        // Last-Modified within 60 s of Date is weak (RFC 9110 §8.8.2.2); the server's Last-Modified is years old,
        // so check the rule on the identity reader with a response built here.
        using var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent([]) };
        response.Headers.Date = Version1LastModified.AddSeconds(59);
        response.Content.Headers.LastModified = Version1LastModified;
        Assert.False(ResponseIdentity.Read(response, 1).LastModifiedIsStrong);
        response.Headers.Date = Version1LastModified.AddSeconds(60);
        Assert.True(ResponseIdentity.Read(response, 1).LastModifiedIsStrong);
        response.Headers.Date = null;
        Assert.False(ResponseIdentity.Read(response, 1).LastModifiedIsStrong);
    }

    // ---- ranges ----

    [Fact]
    public async Task RangeSendsRangeIfRangeWithStrongETagAndIdentityEncodingAndReturnsExactBytes()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        using var body = await source.OpenRangeAsync(100, 299, probe.Identity, CancellationToken.None);
        var bytes = await ReadAllAsync(body.Content);

        Assert.Equal(RangeAnswer.Partial, body.Answer);
        Assert.Equal(100L, body.StartOffset);
        Assert.Equal(200L, body.Length);
        Assert.Equal(probe.Identity, body.Identity);
        Assert.Equal(Server.Content(Size).AsSpan(100, 200).ToArray(), bytes);
        var entry = Server.Log.ForTag(tag)[1];
        Assert.Equal("bytes=100-299", entry.Range);
        Assert.Equal(Version1ETag, entry.IfRange);
        Assert.Equal("identity", entry.AcceptEncoding);
        Assert.Equal(206, entry.StatusCode);
    }

    [Fact]
    public async Task OpenEndedRangeRunsToTheEnd()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        using var body = await source.OpenRangeAsync(900, null, probe.Identity, CancellationToken.None);
        var bytes = await ReadAllAsync(body.Content);

        Assert.Equal(RangeAnswer.Partial, body.Answer);
        Assert.Equal(100L, body.Length);
        Assert.Equal(Server.Content(Size).AsSpan(900).ToArray(), bytes);
        Assert.Equal("bytes=900-", Server.Log.ForTag(tag)[1].Range);
    }

    [Fact]
    public async Task RangePastTheEndIsCutAtTheLastByte()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        using var body = await source.OpenRangeAsync(990, 5000, probe.Identity, CancellationToken.None);

        Assert.Equal(RangeAnswer.Partial, body.Answer);
        Assert.Equal(10L, body.Length);
        Assert.Equal(Server.Content(Size).AsSpan(990).ToArray(), await ReadAllAsync(body.Content));
    }

    [Fact]
    public async Task WithAWeakETagNoIfRangeIsSentAtAll()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&weaketag=1&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);
        Assert.Equal($"W/{Version1ETag}", probe.Identity.ETag);
        Assert.True(probe.Identity.LastModifiedIsStrong);

        using var body = await source.OpenRangeAsync(10, 19, probe.Identity, CancellationToken.None);
        await ReadAllAsync(body.Content);

        // RFC 9110 13.1.5: never the weak tag, and no date either while an entity tag exists.
        var entry = Server.Log.ForTag(tag)[1];
        Assert.Null(entry.IfRange);
        Assert.Equal(RangeAnswer.Partial, body.Answer);
    }

    [Fact]
    public async Task WithAWeakETagAChangedFileIsStillNoticed()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&weaketag=1&changeafter=1&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        var failure = await Assert.ThrowsAsync<TransferException>(() => source.OpenRangeAsync(10, 19, probe.Identity, CancellationToken.None));

        Assert.Equal(TransferErrorKind.RemoteChanged, failure.Kind);
    }

    [Fact]
    public async Task NoIfRangeWithoutAUsableValidator()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&weaketag=1&nolastmodified=1&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        using var body = await source.OpenRangeAsync(10, 19, probe.Identity, CancellationToken.None);

        var entry = Server.Log.ForTag(tag)[1];
        Assert.Equal("bytes=10-19", entry.Range);
        Assert.Null(entry.IfRange);
        Assert.Equal(RangeAnswer.Partial, body.Answer);
    }

    [Fact]
    public async Task WeakLastModifiedIsNotSentInIfRange()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&noetag=1&tag={tag}"));
        var expected = new RemoteIdentity(Size, null, Version1LastModified, LastModifiedIsStrong: false);

        using var body = await source.OpenRangeAsync(10, 19, expected, CancellationToken.None);

        Assert.Null(Assert.Single(Server.Log.ForTag(tag)).IfRange);
        Assert.Equal(RangeAnswer.Partial, body.Answer);
    }

    [Fact]
    public async Task WrongRangeStartIsATransientProtocolViolation()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=wrongrange&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => source.OpenRangeAsync(100, 199, expected, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Equal(206, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task OtherTotalThanExpectedIsRemoteChanged()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        var expected = new RemoteIdentity(Size + 1, Version1ETag, Version1LastModified, true);

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.OpenRangeAsync(100, 199, expected, CancellationToken.None));

        Assert.Equal(TransferErrorKind.RemoteChanged, ex.Kind);
        Assert.Contains($"length {Size + 1} -> {Size}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartialContentWithOtherETagIsRemoteChanged()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));

        // A weak expected ETag cannot go into If-Range, so the server answers 206 with its own (other) ETag.
        var expected = new RemoteIdentity(Size, "W/\"something-else\"", null, false);
        var ex = await Assert.ThrowsAsync<TransferException>(() => source.OpenRangeAsync(0, 9, expected, CancellationToken.None));

        Assert.Equal(TransferErrorKind.RemoteChanged, ex.Kind);
        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Null(entry.IfRange);
        Assert.Equal(206, entry.StatusCode);
    }

    [Fact]
    public async Task NewVersionAnswersWholeWithItsIdentity()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&changeafter=1&tag={tag}"));
        var probe = await source.ProbeAsync(CancellationToken.None);

        using var body = await source.OpenRangeAsync(500, null, probe.Identity, CancellationToken.None);
        var bytes = await ReadAllAsync(body.Content);

        Assert.Equal(RangeAnswer.Whole, body.Answer);
        Assert.Equal(0L, body.StartOffset);
        Assert.Equal(Size, body.Length);
        Assert.Equal($"\"s1-v2-n{Size}\"", body.Identity.ETag);
        Assert.Equal(Server.Content(Size, version: 2), bytes);
        var entry = Server.Log.ForTag(tag)[1];
        Assert.Equal(Version1ETag, entry.IfRange);
        Assert.Equal(200, entry.StatusCode);
    }

    [Fact]
    public async Task IgnoredRangeAnswersWhole()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=ignorerange&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        using var body = await source.OpenRangeAsync(500, null, expected, CancellationToken.None);

        Assert.Equal(RangeAnswer.Whole, body.Answer);
        Assert.Equal(Size, body.Identity.Length);
        Assert.Equal(Server.Content(Size), await ReadAllAsync(body.Content));
    }

    [Fact]
    public async Task RangeAtTheEndIsNotSatisfiableWithTheTotal()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        using var body = await source.OpenRangeAsync(Size, null, expected, CancellationToken.None);

        Assert.Equal(RangeAnswer.NotSatisfiable, body.Answer);
        Assert.Equal(Size, body.Identity.Length);
        Assert.Equal(0L, body.Length);
        Assert.Empty(await ReadAllAsync(body.Content));
        Assert.Equal(416, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task CompressedPartialContentIsAFinalProtocolViolation()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=gzip&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.OpenRangeAsync(100, 199, expected, CancellationToken.None));

        Assert.IsNotType<TransientTransferException>(ex);
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Contains("gzip", ex.Message, StringComparison.Ordinal);
        Assert.Equal(206, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task PartialContentThatStartsBeforeTheOffsetIsHandedOutWithItsTrueStart()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=overlapstart&at=30&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        using var body = await source.OpenRangeAsync(100, 199, expected, CancellationToken.None);

        Assert.Equal(RangeAnswer.Partial, body.Answer);
        Assert.Equal(70L, body.StartOffset);
        Assert.Equal(130L, body.Length);
        Assert.Equal(Server.Content(Size).AsSpan(70, 130).ToArray(), await ReadAllAsync(body.Content));
    }

    [Fact]
    public async Task PartialContentOfAnObjectStoredGzippedIsTheStoredBytesWithOneWarning()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin.gz?size={Size}&fault=storedgzip&tag={tag}"));
        var stored = StoredGzip.Bytes(Size);

        var probe = await source.ProbeAsync(CancellationToken.None);
        using var first = await source.OpenRangeAsync(0, 99, probe.Identity, CancellationToken.None);
        using var second = await source.OpenRangeAsync(100, null, probe.Identity, CancellationToken.None);

        Assert.Equal(new RemoteIdentity(stored.LongLength, StoredGzip.ETag(Size), Version1LastModified, true), probe.Identity);
        Assert.Equal(stored.AsSpan(0, 100).ToArray(), await ReadAllAsync(first.Content));
        Assert.Equal(stored.AsSpan(100).ToArray(), await ReadAllAsync(second.Content));
        var warning = Assert.Single(observer.Messages, m => m.Level == TransferMessageLevel.Warning);
        Assert.Contains("Content-Encoding 'gzip'", warning.Text, StringComparison.Ordinal);
        Assert.Contains("-ExpectedHash", warning.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bytes 0-0/9223372036854775807")]
    [InlineData("bytes 0-0/9007199254740993")]
    public async Task ProbeAnsweredWithAnImpossibleTotalIsAFinalProtocolViolation(string contentRange)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&contentrange={Uri.EscapeDataString(contentRange)}&tag={tag}"));

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Contains("8 PiB", ex.Message, StringComparison.Ordinal);
        Assert.Equal(206, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task PreconditionFailedIsRemoteChanged()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=status&code=412&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.OpenRangeAsync(0, 9, expected, CancellationToken.None));

        Assert.Equal(TransferErrorKind.RemoteChanged, ex.Kind);
        Assert.Equal(412, ex.StatusCode);
    }

    // ---- bodies that end badly ----

    [Theory]
    [InlineData("drop")]
    [InlineData("short")]
    public async Task BodyCutShortThrowsTransient(string fault)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault={fault}&at=300&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var (read, ex) = await OpenAndReadUntilFailureAsync(source, expected);

        // The server resets the connection after 300 bytes; a reset may also discard bytes not yet read (or the
        // headers, failing the open): what matters is that it fails, and never as a complete body.
        Assert.Equal(TransferErrorKind.ConnectionFailed, Assert.IsType<TransientTransferException>(ex).Kind);
        Assert.InRange(read, 0, 300);
    }

    [Fact]
    public async Task ChunkedBodyWithoutFinalChunkThrowsTransient()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=chunked,drop&at={Size}&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var (read, ex) = await OpenAndReadUntilFailureAsync(source, expected);

        // Every byte may have come; only the end-of-body marker is missing, and that is a failure.
        Assert.Equal(TransferErrorKind.ConnectionFailed, Assert.IsType<TransientTransferException>(ex).Kind);
        Assert.InRange(read, 0, Size);
    }

    [Fact]
    public async Task CompleteChunkedBodyReadsToTheEnd()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=chunked&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);
        using var body = await source.OpenRangeAsync(0, null, expected, CancellationToken.None);

        Assert.Equal(Server.Content(Size), await ReadAllAsync(body.Content));
    }

    [Fact]
    public async Task StalledBodyTimesOut()
    {
        // The server sends 100 bytes and then nothing for up to 120 s; the read must give up after the stall timeout.
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=stall&at=100&tag={tag}"), stallTimeout: TimeSpan.FromMilliseconds(500));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var (read, ex) = await OpenAndReadUntilFailureAsync(source, expected);

        Assert.Equal(TransferErrorKind.TransferTimedOut, Assert.IsType<TransientTransferException>(ex).Kind);
        Assert.InRange(read, 0, 100); // 100 unless a loaded machine was slower than the timeout before the first byte
    }

    [Fact]
    public async Task StalledSynchronousReadTimesOut()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=stall&at=100&tag={tag}"), stallTimeout: TimeSpan.FromMilliseconds(500));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);
        long read = 0;

        var ex = await Assert.ThrowsAsync<TransientTransferException>(async () =>
        {
            using var body = await source.OpenRangeAsync(0, null, expected, CancellationToken.None);
            var buffer = new byte[4096];
            int n;
            while ((n = body.Content.Read(buffer, 0, buffer.Length)) > 0)
            {
                read += n;
            }
        });

        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);
        Assert.InRange(read, 0, 100);
    }

    [Fact]
    public async Task CancellingAStalledReadIsCancellationNotATimeout()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=stall&at=100&tag={tag}"), stallTimeout: TimeSpan.FromMinutes(5));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);
        using var cts = new CancellationTokenSource();
        using var body = await source.OpenRangeAsync(0, null, expected, cts.Token);

        cts.CancelAfter(TimeSpan.FromMilliseconds(300));
        var (read, ex) = await ReadUntilFailureAsync(body.Content, cts.Token);

        Assert.IsAssignableFrom<OperationCanceledException>(ex);
        Assert.InRange(read, 0, 100);
    }

    // ---- statuses ----

    [Theory]
    [InlineData(503)]
    [InlineData(429)]
    public async Task BusyServerIsTransientWithRetryAfter(int code)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=status&code={code}&retryafter=7&tag={tag}"));

        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.HttpError, ex.Kind);
        Assert.Equal(code, ex.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), ex.RetryAfter);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(504)]
    [InlineData(408)]
    public async Task ServerErrorsAreTransientWithoutRetryAfter(int code)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=status&code={code}&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => source.OpenRangeAsync(0, 9, expected, CancellationToken.None));

        Assert.Equal(TransferErrorKind.HttpError, ex.Kind);
        Assert.Equal(code, ex.StatusCode);
        Assert.Null(ex.RetryAfter);
    }

    [Theory]
    [InlineData(401, TransferErrorKind.AccessDenied)]
    [InlineData(403, TransferErrorKind.AccessDenied)]
    [InlineData(404, TransferErrorKind.NotFound)]
    [InlineData(410, TransferErrorKind.NotFound)]
    [InlineData(400, TransferErrorKind.HttpError)]
    [InlineData(451, TransferErrorKind.HttpError)]
    [InlineData(204, TransferErrorKind.HttpError)]
    public async Task ClientErrorsAreFinal(int code, TransferErrorKind kind)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"files/a.bin?size={Size}&fault=status&code={code}&tag={tag}"));

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.IsNotType<TransientTransferException>(ex);
        Assert.Equal(kind, ex.Kind);
        Assert.Equal(code, ex.StatusCode);
    }

    [Fact]
    public async Task MissingEndpointIsNotFound()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"missing/a.bin?tag={tag}"));

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.NotFound, ex.Kind);
        Assert.Equal(404, ex.StatusCode);
    }

    [Fact]
    public async Task RefusedConnectionIsTransientConnectionFailed()
    {
        // A port that was just free: nothing listens there.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        using var source = Source(new Uri($"http://127.0.0.1:{port}/files/a.bin"));

        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.ConnectionFailed, ex.Kind);
    }

    // ---- credentials, headers and redirects ----

    [Fact]
    public void CredentialOverPlainHttpNeedsExplicitConsent()
    {
        var uri = Server.Url("files/a.bin?size=10");
        var ex = Assert.Throws<TransferException>(() => Source(uri, credential: new NetworkCredential("user", "pass")));
        Assert.Equal(TransferErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("-AllowUnencryptedAuthentication", ex.Message, StringComparison.Ordinal);

        var header = Assert.Throws<TransferException>(() => Source(uri, headers: new() { ["authorization"] = "Bearer x" }));
        Assert.Equal(TransferErrorKind.InvalidArgument, header.Kind);

        using var allowed = Source(uri, credential: new NetworkCredential("user", "pass"), allowUnencrypted: true);
        using var cookieOnly = Source(uri, headers: new() { ["Cookie"] = "a=b" });
    }

    [Fact]
    public void NonHttpAddressIsInvalidArgument()
    {
        var ex = Assert.Throws<TransferException>(() => Source(new Uri("ftp://127.0.0.1/a.bin")));
        Assert.Equal(TransferErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public async Task CredentialIsSentPreemptivelyAsBasic()
    {
        var tag = TestTags.New();
        using var source = Source(
            Server.Url($"auth/files/a.bin?size={Size}&user=alice&pass=s3cr%C3%A9t&tag={tag}"),
            credential: new NetworkCredential("alice", "s3crét"),
            allowUnencrypted: true);

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(Size, probe.Identity.Length);
        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3crét")), entry.Authorization);
        Assert.Equal(206, entry.StatusCode);
    }

    [Fact]
    public async Task MissingCredentialIsAccessDenied()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"auth/files/a.bin?size={Size}&tag={tag}"));

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.AccessDenied, ex.Kind);
        Assert.Equal(401, ex.StatusCode);
    }

    [Fact]
    public async Task UserHeadersAndUserAgentAreSentAndControlledOnesAreNot()
    {
        var tag = TestTags.New();
        using var source = Source(
            Server.Url($"files/a.bin?size={Size}&tag={tag}"),
            headers: new() { ["X-Custom"] = "42", ["Range"] = "bytes=5-6", ["Accept-Encoding"] = "gzip", ["Content-Type"] = "text/plain" },
            userAgent: "MyAgent/1.0");

        await source.ProbeAsync(CancellationToken.None);

        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("42", entry.Headers["X-Custom"]);
        Assert.Equal("MyAgent/1.0", entry.UserAgent);
        Assert.Equal("bytes=0-0", entry.Range);
        Assert.Equal("identity", entry.AcceptEncoding);
        Assert.False(entry.Headers.ContainsKey("Content-Type"));
        Assert.Contains(observer.Messages, m => m.Text.Contains("Range, Accept-Encoding, Content-Type", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CrossOriginRedirectDropsEveryHeaderTheUserGave()
    {
        var tag = TestTags.New();
        var target = Server.OtherUrl($"files/a.bin?size={Size}&tag={tag}");
        using var source = Source(
            Server.Url($"redirect?to={Uri.EscapeDataString(target.AbsoluteUri)}&code=302&tag={tag}"),
            headers: new()
            {
                ["Authorization"] = "Bearer secret-token", ["Cookie"] = "session=abc", ["X-Api-Key"] = "key-123",
                ["PRIVATE-TOKEN"] = "glpat-456", ["Proxy-Authorization"] = "Basic cHJveHk6cHc=", ["X-Other"] = "plain",
            },
            allowUnencrypted: true);

        var probe = await source.ProbeAsync(CancellationToken.None);
        using (var body = await source.OpenRangeAsync(0, 9, probe.Identity, CancellationToken.None))
        {
            await ReadAllAsync(body.Content);
        }

        Assert.Equal(HttpOrigin.ForDisplay(target), probe.ResolvedUri);
        var log = Server.Log.ForTag(tag);
        Assert.Equal(3, log.Count); // redirect, probe on the other origin, range straight to the resolved address
        Assert.Equal(LoggedRequest.BaseListener, log[0].Listener);
        Assert.Equal("Bearer secret-token", log[0].Authorization);
        Assert.Equal("session=abc", log[0].Cookie);
        Assert.Equal("key-123", log[0].Headers["X-Api-Key"]);
        foreach (var entry in log.Skip(1))
        {
            Assert.Equal(LoggedRequest.OtherListener, entry.Listener);
            Assert.StartsWith("/files/", entry.PathAndQuery, StringComparison.Ordinal);
            Assert.Null(entry.Authorization);
            Assert.Null(entry.Cookie);
            foreach (var name in new[] { "X-Api-Key", "PRIVATE-TOKEN", "Proxy-Authorization", "X-Other" })
            {
                Assert.False(entry.Headers.ContainsKey(name), name + " reached the other origin");
            }
        }

        var said = Assert.Single(observer.Messages, m => m.Text.Contains("are not sent to http://127.0.0.2", StringComparison.Ordinal)).Text;
        Assert.Contains("X-Api-Key, PRIVATE-TOKEN, Proxy-Authorization", said, StringComparison.Ordinal);
        Assert.DoesNotContain("key-123", said, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PreserveHeadersOnRedirectSendsThemAndTheCredentialToTheOtherOrigin()
    {
        var tag = TestTags.New();
        var target = Server.OtherUrl($"auth/files/a.bin?size={Size}&tag={tag}");
        using var source = Source(
            Server.Url($"redirect?to={Uri.EscapeDataString(target.AbsoluteUri)}&code=302&tag={tag}"),
            credential: new NetworkCredential("user", "pass"),
            headers: new() { ["X-Api-Key"] = "key-123" },
            allowUnencrypted: true,
            preserveHeaders: true);

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(Size, probe.Identity.Length);
        var other = Server.Log.ForTag(tag)[1];
        Assert.Equal(LoggedRequest.OtherListener, other.Listener);
        Assert.Equal("Basic dXNlcjpwYXNz", other.Authorization);
        Assert.Equal("key-123", other.Headers["X-Api-Key"]);
        Assert.Equal(206, other.StatusCode);
    }

    [Fact]
    public async Task RedirectFromHttpsToHttpIsInsecureRedirectUnlessAllowed()
    {
        var tag = TestTags.New();
        var plain = Server.Url($"files/a.bin?size={Size}&tag={tag}");
        var start = Server.SecureUrl($"redirect?to={Uri.EscapeDataString(plain.AbsoluteUri)}&code=302&tag={tag}");
        using var trusting = TrustingTheTestCertificate();

        using (var refused = Source(start, client: trusting))
        {
            var ex = await Assert.ThrowsAsync<TransferException>(() => refused.ProbeAsync(CancellationToken.None));
            Assert.Equal(TransferErrorKind.InsecureRedirect, ex.Kind);
            Assert.Contains("-AllowInsecureRedirect", ex.Message, StringComparison.Ordinal);
        }

        var log = Server.Log.ForTag(tag);
        Assert.Equal(LoggedRequest.SecureListener, Assert.Single(log).Listener); // nothing went to the http address

        using var allowed = Source(start, client: trusting, allowInsecureRedirect: true);
        var probe = await allowed.ProbeAsync(CancellationToken.None);
        Assert.Equal(Size, probe.Identity.Length);
        Assert.Equal(LoggedRequest.BaseListener, Server.Log.ForTag(tag)[^1].Listener);
    }

    [Fact]
    public async Task UserInfoInTheAddressIsTheCredentialAndIsNeverShown()
    {
        var tag = TestTags.New();
        var withUser = new UriBuilder(Server.Url($"auth/files/a.bin?size={Size}&user=alice&pass=s3cret&tag={tag}")) { UserName = "alice", Password = "s3cret" }.Uri;

        var refused = Assert.Throws<TransferException>(() => Source(withUser));
        Assert.Equal(TransferErrorKind.InvalidArgument, refused.Kind);
        Assert.DoesNotContain("s3cret", refused.Message, StringComparison.Ordinal);

        using var source = Source(withUser, allowUnencrypted: true);
        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(Size, probe.Identity.Length);
        var entry = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("alice:s3cret")), entry.Authorization);
        Assert.DoesNotContain("alice", source.DisplayUri.AbsoluteUri, StringComparison.Ordinal);
        Assert.All(observer.Messages, m => Assert.DoesNotContain("s3cret", m.Text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task CrossOriginRedirectDropsTheCredential()
    {
        var tag = TestTags.New();
        var target = Server.OtherUrl($"auth/files/a.bin?size={Size}&tag={tag}");
        using var source = Source(
            Server.Url($"redirect?to={Uri.EscapeDataString(target.AbsoluteUri)}&code=307&tag={tag}"),
            credential: new NetworkCredential("user", "pass"),
            allowUnencrypted: true);

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.AccessDenied, ex.Kind);
        Assert.Contains("another origin", ex.Message, StringComparison.Ordinal);
        var log = Server.Log.ForTag(tag);
        Assert.Equal(2, log.Count);
        Assert.Equal(LoggedRequest.BaseListener, log[0].Listener);
        Assert.Equal("Basic dXNlcjpwYXNz", log[0].Authorization);
        Assert.Equal(LoggedRequest.OtherListener, log[1].Listener);
        Assert.Null(log[1].Authorization);
        Assert.Equal(401, log[1].StatusCode);
    }

    [Fact]
    public async Task SameOriginRedirectKeepsCredentialAndCookie()
    {
        var tag = TestTags.New();
        using var source = Source(
            Server.Url($"redirect?to={Uri.EscapeDataString($"/auth/files/a.bin?size={Size}&tag={tag}")}&code=301&tag={tag}"),
            credential: new NetworkCredential("user", "pass"),
            headers: new() { ["Cookie"] = "session=abc" },
            allowUnencrypted: true);

        var probe = await source.ProbeAsync(CancellationToken.None);

        Assert.Equal(Server.Url("auth/files/a.bin").AbsoluteUri, probe.ResolvedUri.AbsoluteUri);
        var log = Server.Log.ForTag(tag);
        Assert.Equal(2, log.Count);
        Assert.All(log, e => Assert.Equal(LoggedRequest.BaseListener, e.Listener));
        Assert.Equal("Basic dXNlcjpwYXNz", log[1].Authorization);
        Assert.Equal("session=abc", log[1].Cookie);
        Assert.Equal(206, log[1].StatusCode);
    }

    [Fact]
    public async Task RedirectBackToTheOriginalOriginSendsSecretsAgain()
    {
        var tag = TestTags.New();
        var final = Server.Url($"files/a.bin?size={Size}&tag={tag}");
        var viaOther = Server.OtherUrl($"redirect?to={Uri.EscapeDataString(final.AbsoluteUri)}&code=302&tag={tag}");
        using var source = Source(
            Server.Url($"redirect?to={Uri.EscapeDataString(viaOther.AbsoluteUri)}&code=302&tag={tag}"),
            headers: new() { ["Authorization"] = "Bearer t" },
            allowUnencrypted: true);

        await source.ProbeAsync(CancellationToken.None);

        var log = Server.Log.ForTag(tag);
        Assert.Equal(3, log.Count);
        Assert.Equal("Bearer t", log[0].Authorization);
        Assert.Null(log[1].Authorization);
        Assert.Equal("Bearer t", log[2].Authorization);
        Assert.Equal([LoggedRequest.BaseListener, LoggedRequest.OtherListener, LoggedRequest.BaseListener], log.Select(e => e.Listener).ToArray());
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task RelativeRedirectIsFollowedWithTheSameRange(int code)
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"redirect?to={Uri.EscapeDataString($"files/a.bin?size={Size}&tag={tag}")}&code={code}&tag={tag}"));
        var expected = new RemoteIdentity(Size, Version1ETag, Version1LastModified, true);

        using var body = await source.OpenRangeAsync(5, 14, expected, CancellationToken.None);

        Assert.Equal(Server.Content(Size).AsSpan(5, 10).ToArray(), await ReadAllAsync(body.Content));
        var log = Server.Log.ForTag(tag);
        Assert.Equal(2, log.Count);
        Assert.Equal(code, log[0].StatusCode);
        Assert.All(log, e => Assert.Equal("GET", e.Method));
        Assert.All(log, e => Assert.Equal("bytes=5-14", e.Range));
        Assert.Equal(Version1ETag, log[1].IfRange);
    }

    [Fact]
    public async Task RedirectsUpToTheLimitAreFollowedAndOneMoreIsTooMany()
    {
        var tag = TestTags.New();
        Uri Chain(int hops)
        {
            var uri = Server.Url($"files/a.bin?size={Size}&tag={tag}");
            for (var i = 0; i < hops; i++)
            {
                uri = Server.Url($"redirect?to={Uri.EscapeDataString(uri.AbsoluteUri)}&tag={tag}");
            }

            return uri;
        }

        using (var ok = Source(Chain(3), maximumRedirects: 3))
        {
            var probe = await ok.ProbeAsync(CancellationToken.None);
            Assert.Equal(Size, probe.Identity.Length);
        }

        Assert.Equal(4, Server.Log.ForTag(tag).Count);

        using var tooMany = Source(Chain(4), maximumRedirects: 3);
        var ex = await Assert.ThrowsAsync<TransferException>(() => tooMany.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.TooManyRedirects, ex.Kind);
        var log = Server.Log.ForTag(tag).Skip(4).ToList();
        Assert.Equal(4, log.Count); // the 4 redirects, never the file
        Assert.All(log, e => Assert.Equal("/redirect", e.PathAndQuery.Split('?')[0]));
    }

    [Fact]
    public async Task ZeroRedirectsAllowedRefusesTheFirst()
    {
        var tag = TestTags.New();
        using var source = Source(Server.Url($"redirect?to={Uri.EscapeDataString($"/files/a.bin?size={Size}&tag={tag}")}&tag={tag}"), maximumRedirects: 0);

        var ex = await Assert.ThrowsAsync<TransferException>(() => source.ProbeAsync(CancellationToken.None));

        Assert.Equal(TransferErrorKind.TooManyRedirects, ex.Kind);
        Assert.Single(Server.Log.ForTag(tag));
    }

    [Fact]
    public void DisplayUriHasNoUserInfoOrQuery()
    {
        using var source = Source(new Uri("https://user:pw@example.com/dir/file.iso?token=secret"));
        Assert.Equal("https://example.com/dir/file.iso", source.DisplayUri.AbsoluteUri);
    }

    // ---- helpers ----

    private HttpByteSource Source(
        Uri uri,
        TimeSpan? stallTimeout = null,
        NetworkCredential? credential = null,
        Dictionary<string, string>? headers = null,
        bool allowUnencrypted = false,
        string? userAgent = null,
        int maximumRedirects = 10,
        bool preserveHeaders = false,
        bool allowInsecureRedirect = false,
        HttpClient? client = null) =>
        new(
            client ?? this.client,
            new DownloadRequest
            {
                Uri = uri,
                OutputPath = "unused",
                StallTimeout = stallTimeout ?? TimeSpan.FromSeconds(30),
                Credential = credential,
                Headers = headers ?? new Dictionary<string, string>(),
                AllowUnencryptedAuthentication = allowUnencrypted,
                UserAgent = userAgent,
                MaximumRedirects = maximumRedirects,
                PreserveHeadersOnRedirect = preserveHeaders,
                AllowInsecureRedirect = allowInsecureRedirect,
            },
            observer);

    /// <summary>A client like the cmdlets' that trusts the test server's own certificate and no other.</summary>
    private HttpClient TrustingTheTestCertificate()
    {
        var thumbprint = Server.Certificate.Thumbprint;
        return new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == thumbprint,
        });
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static async Task<(long Read, Exception? Error)> OpenAndReadUntilFailureAsync(HttpByteSource source, RemoteIdentity expected)
    {
        RangeBody body;
        try
        {
            body = await source.OpenRangeAsync(0, null, expected, CancellationToken.None);
        }
        catch (Exception ex)
        {
            return (0, ex);
        }

        using (body)
        {
            return await ReadUntilFailureAsync(body.Content);
        }
    }

    private static async Task<(long Read, Exception? Error)> ReadUntilFailureAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var buffer = new byte[4096];
        long read = 0;
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                read += n;
            }
        }
        catch (Exception ex)
        {
            return (read, ex);
        }

        return (read, null);
    }
}
