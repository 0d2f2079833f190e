using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.ChunkApi;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>One longest back-off and one way of giving up, for both directions, against servers that answer only 503.</summary>
public sealed class RetryRulesTests : IClassFixture<TestServerFixture>, IDisposable
{
    private readonly TestServerFixture fixture;
    private readonly TempDir dir = new("rt-retryrules");
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);
    private readonly RecordingObserver observer = new();

    // The first back-off from a one-hour retry interval is capped: the clock only has to be moved past the cap.
    private readonly ArmingTimeProvider time = new(RetryRules.MaxDelay);

    public RetryRulesTests(TestServerFixture fixture)
    {
        this.fixture = fixture;
    }

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public void TheLongestBackOffIsSixtySeconds() => Assert.Equal(TimeSpan.FromSeconds(60), RetryRules.Options(3, TimeSpan.FromHours(1), TimeSpan.Zero).MaxDelay);

    [Fact]
    public async Task ADownloadBacksOffAtMostSixtySecondsThenGivesUpWithTheResumeAdvice()
    {
        var request = new DownloadRequest
        {
            Uri = fixture.Url($"files/a.bin?size=1000&fault=status&code=503&tag={TestTags.New()}"),
            OutputPath = dir.File("a.bin"),
            MaxRetries = 1,
            RetryInterval = TimeSpan.FromHours(1),
        };

        var download = new DownloadEngine(client, time, observer).DownloadAsync(request, 1, CancellationToken.None);
        await AssertBackOffOfSixtySecondsAsync();

        var ex = await Assert.ThrowsAsync<TransferException>(() => download);
        Assert.Contains("Gave up after 1 retries. The bytes already saved are kept: run the same command with -Resume to continue.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUploadBacksOffAtMostSixtySecondsThenGivesUpWithTheResumeAdvice()
    {
        await using var server = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { UnavailableAfterChunks = 0 });
        var path = dir.File("up.bin");
        File.WriteAllBytes(path, new byte[1000]);
        var request = new UploadRequest
        {
            Path = path,
            Uri = server.Url,
            Protocol = UploadProtocolKind.ChunkApi,
            MaxRetries = 1,
            RetryInterval = TimeSpan.FromHours(1),
        };
        using var protocol = new ChunkApiProtocol(client, request, observer);

        var upload = new UploadEngine(client, time, observer) { PerUserStateFolder = dir.File("state") }.UploadAsync(request, protocol, 1, CancellationToken.None);
        await AssertBackOffOfSixtySecondsAsync();

        var ex = await Assert.ThrowsAsync<TransferException>(() => upload);
        Assert.Contains("Gave up after 1 retries. The chunks the server acknowledged are kept: run the same command with -Resume to continue.", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Waits for the back-off's timer (60 s, the cap), checks the retry message, and lets the retry happen.</summary>
    private async Task AssertBackOffOfSixtySecondsAsync()
    {
        await time.WaitUntilArmedAsync();
        Assert.Contains(observer.Messages, m => m.Text.Contains("retrying in 60 s", StringComparison.Ordinal));
        time.Advance(RetryRules.MaxDelay);
    }
}
