using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.ChunkApi;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>The one stall watchdog, on the injected clock: alone, under a download read and under an upload send.</summary>
public sealed class StallWatchdogTests : IClassFixture<TestServerFixture>, IDisposable
{
    // A due time no other timer of these runs uses (progress ticks every 250 ms), so the fake clock can tell them apart.
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(7);

    private readonly TestServerFixture fixture;
    private readonly TempDir dir = new("rt-watchdog");
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);
    private readonly RecordingObserver observer = new();

    public StallWatchdogTests(TestServerFixture fixture)
    {
        this.fixture = fixture;
    }

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public void FiresOnlyAfterTheTimeoutWithoutProgress()
    {
        var time = new FakeTimeProvider();
        using var watchdog = new StallWatchdog(time, Stall, CancellationToken.None, armed: true);

        time.Advance(Stall - TimeSpan.FromMilliseconds(1));
        watchdog.Arm(); // progress: the clock starts again
        time.Advance(Stall - TimeSpan.FromMilliseconds(1));
        Assert.False(watchdog.Fired);

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(watchdog.Fired);
        Assert.True(watchdog.Token.IsCancellationRequested);
    }

    [Fact]
    public void ADisarmedWatchdogNeverFires()
    {
        var time = new FakeTimeProvider();
        using var watchdog = new StallWatchdog(time, Stall, CancellationToken.None, armed: false);
        time.Advance(Stall * 2);
        watchdog.Arm();
        watchdog.Disarm();
        time.Advance(Stall * 2);

        Assert.False(watchdog.Fired);
        Assert.False(watchdog.Token.IsCancellationRequested);
    }

    [Fact]
    public void CancellingTheOuterTokenIsNotAStall()
    {
        var time = new FakeTimeProvider();
        using var outer = new CancellationTokenSource();
        using var watchdog = new StallWatchdog(time, Stall, outer.Token, armed: true);
        outer.Cancel();
        time.Advance(Stall);

        Assert.True(watchdog.Token.IsCancellationRequested);
        Assert.False(watchdog.Fired);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void ANonPositiveTimeoutWaitsForever(int seconds)
    {
        var time = new FakeTimeProvider();
        using var watchdog = new StallWatchdog(time, TimeSpan.FromSeconds(seconds), CancellationToken.None, armed: true);
        watchdog.Arm();
        time.Advance(TimeSpan.FromDays(365));

        Assert.False(watchdog.Fired);
    }

    [Fact]
    public async Task AStalledDownloadReadTimesOutOnTheInjectedClock()
    {
        // Headers, then not one body byte: the first read waits, and only the fake clock can end it.
        var tag = TestTags.New();
        var time = new ArmingTimeProvider(Stall);
        var request = new DownloadRequest
        {
            Uri = fixture.Url($"files/a.bin?size=1000&fault=stall&at=0&tag={tag}"),
            OutputPath = dir.File("stalled.bin"),
            StallTimeout = Stall,
            MaxRetries = 0,
            Connections = 1,
        };

        // Armed twice: the wait for the response headers (which come), then the wait for the first body byte (which does not).
        var download = new DownloadEngine(client, time, observer).DownloadAsync(request, 1, CancellationToken.None);
        await time.WaitUntilArmedAsync(times: 2);
        time.Advance(Stall);

        var ex = await Assert.ThrowsAsync<TransferException>(() => download);
        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);
        Assert.Contains("sent no data for 7 s", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Resume", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStalledUploadSendTimesOutOnTheInjectedClock()
    {
        // The receiver holds the chunk request without reading it; an empty file's one chunk moves no byte, so the
        // watchdog armed when the send began is the only one counting.
        await using var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMinutes(10) });
        var path = dir.File("empty.bin");
        File.WriteAllBytes(path, []);
        var time = new ArmingTimeProvider(Stall);
        var request = new UploadRequest
        {
            Path = path,
            Uri = server.Url,
            Protocol = UploadProtocolKind.ChunkApi,
            StallTimeout = Stall,
            MaxRetries = 0,
        };
        using var protocol = new ChunkApiProtocol(client, request, observer);

        var upload = new UploadEngine(client, time, observer) { PerUserStateFolder = dir.File("state") }.UploadAsync(request, protocol, 1, CancellationToken.None);
        await time.WaitUntilArmedAsync();
        time.Advance(Stall);

        var ex = await Assert.ThrowsAsync<TransferException>(() => upload);
        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);
        Assert.Contains("made no progress for 7 s", ex.Message, StringComparison.Ordinal);

        // Given up the way a download gives up: it says so, and says how to continue.
        Assert.Contains("Retrying is off (MaxRetries 0).", ex.Message, StringComparison.Ordinal);
        Assert.Contains("run the same command with -Resume to continue", ex.Message, StringComparison.Ordinal);
    }
}
