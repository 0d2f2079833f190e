using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>The engine against the real test server: fresh downloads, resume, hashes and the finished files.</summary>
public sealed class DownloadEngineTests : EngineTestBase
{
    public DownloadEngineTests(TestServerFixture fixture)
        : base(fixture, "rt-engine")
    {
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task FreshDownloadHasTheServersBytes(int connections)
    {
        var tag = TestTags.New();
        var size = (5 * MiB) + 123;
        var target = Temp.File("fresh.bin");

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/fresh.bin?size={size}&tag={tag}"), target, connections), 7, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(size, result.Length);
        Assert.Equal(size, result.BytesDownloaded);
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal(connections, result.Connections);
        Assert.Equal($"\"s1-v1-n{size}\"", result.ETag);
        Assert.False(result.Restarted);
        Assert.Equal(new[] { "fresh.bin" }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));

        // No separate probe: the first request asks for the whole file without a validator (nothing is known yet),
        // the others ask for the pieces it does not read, with If-Range.
        var all = Server.Log.ForTag(tag);
        Assert.Equal(all, DataRequests(Server, tag));
        Assert.True(all.Count >= connections, $"{all.Count} data requests for {connections} connections");
        Assert.Equal("bytes=0-", all[0].Range);
        Assert.Null(all[0].IfRange);
        Assert.All(all.Skip(1), r => Assert.Equal(result.ETag, r.IfRange));
        Assert.All(all.Skip(1), r => Assert.NotEqual(0, RangeStart(r.Range)));
        Assert.All(all, r => Assert.Equal(206, r.StatusCode));

        var last = Observer.Progress[^1];
        Assert.Equal(TransferPhase.Completed, last.Phase);
        Assert.Equal(7, last.Id);
        Assert.Equal(size, last.CompletedBytes);
        Assert.Equal(size, last.TotalBytes);
        Assert.Equal("fresh.bin", last.Name);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task FreshDownloadOfASmallFileIsOneRequest(int connections)
    {
        var tag = TestTags.New();
        var size = 256 * 1024;
        var target = Temp.File("small.bin");

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/small.bin?size={size}&tag={tag}"), target, connections), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(size, result.BytesDownloaded);
        var only = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("bytes=0-", only.Range);
        Assert.Null(only.IfRange);
        Assert.Equal(206, only.StatusCode);
        Assert.Equal(size, only.BodyBytesSent);
    }

    [Fact]
    public async Task FreshDownloadFromAServerWithoutRangesIsOneWholeRequest()
    {
        var tag = TestTags.New();
        var size = (3 * MiB) + 7;
        var target = Temp.File("noranges.bin");

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/nr.bin?size={size}&noranges=1&tag={tag}"), target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(1, result.Connections);
        Assert.Equal(size, result.BytesDownloaded);
        var only = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal(200, only.StatusCode);
        Assert.Equal(size, only.BodyBytesSent);
    }

    [Fact]
    public async Task EmptyFileIsDownloaded()
    {
        var tag = TestTags.New();
        var target = Temp.File("empty.bin");

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/empty.bin?size=0&tag={tag}"), target), 1, default);

        Assert.Equal(0, new FileInfo(target).Length);
        Assert.Equal(0, result.Length);
        Assert.False(File.Exists(target + ".rtstate"));
        Assert.Equal(416, Assert.Single(Server.Log.ForTag(tag)).StatusCode);
    }

    [Fact]
    public async Task UnknownLengthWithoutRangesIsFetchedWholeOverOneConnection()
    {
        var tag = TestTags.New();
        var size = (2 * MiB) + 5;
        var target = Temp.File("chunked.bin");

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/c.bin?size={size}&noranges=1&fault=chunked&tag={tag}"), target), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(size, result.Length);
        Assert.Equal(1, result.Connections);
        Assert.Single(DataRequests(Server, tag));
    }

    [Fact]
    public async Task ResumeAfterADropFetchesOnlyTheRest()
    {
        var tag = TestTags.New();
        var size = 6 * MiB;
        var target = Temp.File("drop.bin");
        // Request 1 is the probe, request 2 the data: it is cut after 3 MiB, and retrying is off.
        var url = Server.Url($"files/drop.bin?size={size}&tag={tag}&fault=drop&at={3 * MiB}&times=2");
        var probeUrl = Server.Url($"files/drop.bin?size={size}&tag={tag}");
        var engine = RoutedEngine(Client, Observer, probeUrl: probeUrl);

        var failure = await Assert.ThrowsAnyAsync<TransferException>(() => engine.DownloadAsync(Request(url, target, connections: 1, maxRetries: 0), 1, default));

        Assert.Contains("-Resume", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
        var saved = ReadState(target);
        var onDisk = BytesOnDisk(saved);
        Assert.InRange(onDisk, 1, 3 * MiB);
        var firstRun = Server.Log.ForTag(tag).Count;

        var result = await engine.DownloadAsync(Request(url, target, connections: 1, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(onDisk, result.BytesResumed);
        Assert.Equal(size - onDisk, result.BytesDownloaded);
        var secondRun = DataRequests(Server, tag).Where(r => r.TagSequence > firstRun).ToList();
        var resumed = Assert.Single(secondRun);
        Assert.Equal($"bytes={onDisk}-{size - 1}", resumed.Range);
        Assert.Equal($"\"s1-v1-n{size}\"", resumed.IfRange);
        Assert.False(File.Exists(target + ".rtstate"));
        Assert.False(File.Exists(target + ".rtpart"));
    }

    [Fact]
    public async Task ResumeWithMoreConnectionsSplitsTheRemainder()
    {
        var tag = TestTags.New();
        var size = 8 * MiB;
        var target = Temp.File("split.bin");
        var url = Server.Url($"files/split.bin?size={size}&tag={tag}&fault=drop&at={MiB}&times=2");
        var engine = RoutedEngine(Client, Observer, probeUrl: Server.Url($"files/split.bin?size={size}&tag={tag}"));
        await Assert.ThrowsAnyAsync<TransferException>(() => engine.DownloadAsync(Request(url, target, connections: 1, maxRetries: 0), 1, default));
        var onDisk = BytesOnDisk(ReadState(target));
        var firstRun = Server.Log.ForTag(tag).Count;

        var result = await engine.DownloadAsync(Request(url, target, connections: 4, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        var starts = DataRequests(Server, tag).Where(r => r.TagSequence > firstRun).Select(r => RangeStart(r.Range)).ToList();
        Assert.True(starts.Count >= 4, $"only {starts.Count} ranges after resuming");
        Assert.Equal(onDisk, starts.Min());
        Assert.Equal(size - onDisk, result.BytesDownloaded);
    }

    [Fact]
    public async Task CancelledDownloadKeepsItsProgressAndResumes()
    {
        var tag = TestTags.New();
        var size = 4 * MiB;
        var target = Temp.File("cancel.bin");
        var url = Server.Url($"files/cancel.bin?size={size}&tag={tag}");
        var throttled = RoutedEngine(Client, Observer, rangeUrl: Server.Url($"files/cancel.bin?size={size}&tag={tag}&rate={256 * 1024}"));
        using var cts = new CancellationTokenSource();

        var running = throttled.DownloadAsync(Request(url, target, connections: 2), 1, cts.Token);
        await WaitForBodyBytesAsync(Server, tag, 256 * 1024, running);
        await WaitUntilAsync(
            () => Observer.Progress.Any(p => p.Phase == TransferPhase.Transferring && p.ActiveConnections > 0 && p.BytesPerSecond > 0 && p.TotalBytes == size),
            running,
            "no progress snapshot showed the transfer moving");
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        var onDisk = BytesOnDisk(ReadState(target));
        Assert.True(onDisk > 0, "the final checkpoint recorded nothing");
        Assert.Equal(TransferPhase.Completed, Observer.Progress[^1].Phase);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + ".rtlock"));

        var result = await Engine().DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(onDisk, result.BytesResumed);
    }

    [Fact]
    public async Task StateIsCheckpointedWhileTheDownloadRuns()
    {
        // What kill -9 leaves behind is the last periodic checkpoint: it must exist before any stop or failure.
        var tag = TestTags.New();
        var size = 8 * MiB;
        var target = Temp.File("checkpoint.bin");
        using var cts = new CancellationTokenSource();
        var running = Engine().DownloadAsync(Request(Server.Url($"files/cp.bin?size={size}&tag={tag}&rate={MiB}"), target, connections: 2), 1, cts.Token);
        try
        {
            long recorded = 0;
            await WaitUntilAsync(
                () =>
                {
                    try
                    {
                        recorded = BytesOnDisk(ReadState(target));
                    }
                    catch (Exception ex) when (ex is IOException or InvalidOperationException)
                    {
                        // Not written yet, or caught between write and rename where that is not allowed; look again.
                    }

                    return recorded > 0;
                },
                running,
                "no checkpoint was written while the download ran");

            Assert.InRange(recorded, 1, size - 1);
        }
        finally
        {
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }
    }

    [Fact]
    public async Task CompleteStateIsFinishedWithoutFetchingAgain()
    {
        // A run that stopped between its last checkpoint and the rename: all bytes are on disk.
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = Temp.File("done.bin");
        var url = Server.Url($"files/done.bin?size={size}&tag={tag}");
        await Engine().DownloadAsync(Request(url, target), 1, default);
        File.Move(target, target + ".rtpart");
        var store = new Core.Download.DownloadStateStore(target + ".rtstate");
        var state = new ResumePlanner(Request(url, target), TargetPaths.ForFile(target), store, Observer, TimeProvider.System)
            .NewState(new Core.Download.Sources.RemoteIdentity(size, $"\"s1-v1-n{size}\"", null, false), true, url);
        state.Segments[0].Next = size;
        store.Save(state);
        var before = Server.Log.ForTag(tag).Count;

        var result = await Engine().DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(0, result.BytesDownloaded);
        Assert.Equal(size, result.BytesResumed);
        Assert.DoesNotContain(DataRequests(Server, tag), r => r.TagSequence > before);
    }

    [Fact]
    public async Task ExpectedHashIsCheckedBeforeTheTargetAppears()
    {
        var tag = TestTags.New();
        var size = MiB + 1;
        var target = Temp.File("hash.bin");
        var url = Server.Url($"files/hash.bin?size={size}&tag={tag}");
        var wrong = new string('0', 64);

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, expectedHash: wrong), 1, default));

        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, failure.Kind);
        Assert.Contains(Server.Sha256(size), failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
        Assert.Equal(Server.Sha256(size), Sha256OfFile(target + ".rtpart"));

        var result = await Engine().DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Overwrite, expectedHash: Server.Sha256(size).ToUpperInvariant()), 1, default);

        Assert.Equal(Server.Sha256(size), result.Hash);
        Assert.Equal("SHA256", result.HashAlgorithm);
        Assert.True(File.Exists(target));
    }

    [Theory]
    [InlineData("MD5")]
    [InlineData("sha512")]
    public async Task ComputeHashReportsTheChosenAlgorithm(string algorithm)
    {
        var tag = TestTags.New();
        var target = Temp.File("algo.bin");
        var request = new DownloadRequest
        {
            Uri = Server.Url($"files/algo.bin?size=1000&tag={tag}"),
            OutputPath = target,
            HashAlgorithm = algorithm,
            ComputeHash = true,
        };

        var result = await Engine().DownloadAsync(request, 1, default);

        using var hasher = System.Security.Cryptography.IncrementalHash.CreateHash(new System.Security.Cryptography.HashAlgorithmName(algorithm.ToUpperInvariant()));
        hasher.AppendData(Server.Content(1000));
        Assert.Equal(Convert.ToHexStringLower(hasher.GetHashAndReset()), result.Hash);
    }

    [Fact]
    public async Task InvalidRequestsFailBeforeAnyRequest()
    {
        var tag = TestTags.New();
        var url = Server.Url($"files/x.bin?size=10&tag={tag}");

        var badHash = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, Temp.File("x"), expectedHash: "abc"), 1, default));
        var badConnections = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, Temp.File("x"), connections: 0), 1, default));
        var noFolder = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, Temp.File("missing/x")), 1, default));

        Assert.Equal(TransferErrorKind.InvalidArgument, badHash.Kind);
        Assert.Equal(TransferErrorKind.InvalidArgument, badConnections.Kind);
        Assert.Equal(TransferErrorKind.InvalidArgument, noFolder.Kind);
        Assert.Empty(Server.Log.ForTag(tag));
    }
}
