using System.Net;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Download.Sources.Http;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>The engine when the network or the server misbehaves: retries, changed versions, ignored ranges, 416.</summary>
public sealed class DownloadEngineFaultTests : EngineTestBase
{
    public DownloadEngineFaultTests(TestServerFixture fixture)
        : base(fixture, "rt-faults")
    {
    }

    [Fact]
    public async Task DroppedConnectionsAreRetriedFromTheBytesOnDisk()
    {
        var tag = TestTags.New();
        var size = 4 * MiB;
        var target = Temp.File("drop.bin");
        // The first 4 data requests (the first one also the probe, bytes=0-) are cut after 256 KiB.
        var url = Server.Url($"files/d.bin?size={size}&tag={tag}&fault=drop&at={256 * 1024}&times=4");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        var data = DataRequests(Server, tag);
        var dropped = data.Where(r => r.TagSequence <= 4).ToList();
        foreach (var failed in dropped)
        {
            // The retry for that segment asks from where the written bytes end, never from the segment's start.
            var start = RangeStart(failed.Range);
            Assert.Contains(data, r => r.TagSequence > 4 && RangeStart(r.Range) > start && RangeStart(r.Range) <= start + (256 * 1024));
        }

        Assert.True(result.BytesDownloaded < size + MiB, $"{result.BytesDownloaded} bytes fetched for {size}");
        Assert.Contains(Observer.Verbose, m => m.Contains("retrying", StringComparison.Ordinal) || m.Contains("fresh retry budget", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StalledConnectionIsRetriedAndCompletes()
    {
        var tag = TestTags.New();
        var size = 2 * MiB;
        var target = Temp.File("stall.bin");
        // The first request (the probe and the first data request in one) stalls after 512 KiB.
        var url = Server.Url($"files/s.bin?size={size}&tag={tag}&fault=stall&at={512 * 1024}&times=1");

        await Engine().DownloadAsync(Request(url, target, connections: 1, stallTimeout: TimeSpan.FromMilliseconds(700)), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        var data = Server.Log.ForTag(tag);
        Assert.Equal(2, data.Count);
        Assert.Equal("bytes=0-", data[0].Range);
        Assert.InRange(RangeStart(data[1].Range), 1, 512 * 1024);
        Assert.Equal($"\"s1-v1-n{size}\"", data[1].IfRange);
    }

    [Fact]
    public async Task FirstAnswerCutMidwayIsContinuedFromTheBytesOnDisk()
    {
        var tag = TestTags.New();
        var size = 2 * MiB;
        var cut = 512 * 1024;
        var target = Temp.File("first.bin");
        var url = Server.Url($"files/f.bin?size={size}&tag={tag}&fault=drop&at={cut}&times=1");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 1), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        var log = Server.Log.ForTag(tag);
        Assert.Equal(2, log.Count);
        Assert.Equal("bytes=0-", log[0].Range);
        var resumedAt = RangeStart(log[1].Range);
        Assert.InRange(resumedAt, 1, cut);
        Assert.Equal($"bytes={resumedAt}-{size - 1}", log[1].Range);
        Assert.Equal($"\"s1-v1-n{size}\"", log[1].IfRange);
        Assert.Equal(size, result.BytesDownloaded);
    }

    [Fact]
    public async Task RetryAfterOf503IsHonoured()
    {
        var tag = TestTags.New();
        var target = Temp.File("busy.bin");
        var url = Server.Url($"files/b.bin?size=5000&tag={tag}&fault=status&code=503&retryafter=1&times=1");

        await Engine().DownloadAsync(Request(url, target), 1, default);

        Assert.Equal(Server.Sha256(5000), Sha256OfFile(target));
        // The back-off base is 20 ms: a 1 s wait can only come from Retry-After.
        Assert.Contains(Observer.Verbose, m => m.Contains("503", StringComparison.Ordinal) && m.Contains("retrying in 1 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WrongContentRangeIsRetriedNotWritten()
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = Temp.File("wrong.bin");
        var url = Server.Url($"files/w.bin?size={size}&tag={tag}&fault=wrongrange&times=3");

        await Engine().DownloadAsync(Request(url, target, connections: 2), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
    }

    [Fact]
    public async Task RetriesRunningOutFailsWithTheKindAndKeepsTheState()
    {
        var tag = TestTags.New();
        var target = Temp.File("down.bin");
        var url = Server.Url($"files/x.bin?size={2 * MiB}&tag={tag}&fault=drop&at=1000&times=100");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, connections: 1, maxRetries: 2), 1, default));

        Assert.IsNotType<TransientTransferException>(failure);
        Assert.Contains("Gave up after 2 retries", failure.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(target + ".rtstate"));
    }

    [Fact]
    public async Task VersionChangedBetweenRunsStartsOverWithAWarning()
    {
        var tag = TestTags.New();
        var size = 4 * MiB;
        var target = Temp.File("change.bin");
        // Run 1: probe (1) and data (2, cut at 2 MiB). Run 2 sees version 2 from request 3 on.
        var url = Server.Url($"files/c.bin?size={size}&tag={tag}&changeafter=2&fault=drop&at={2 * MiB}&times=2");
        var engine = RoutedEngine(Client, Observer, probeUrl: Server.Url($"files/c.bin?size={size}&tag={tag}&changeafter=2"));
        var first = await Assert.ThrowsAnyAsync<TransferException>(() => engine.DownloadAsync(Request(url, target, connections: 1, maxRetries: 0), 1, default));
        Assert.True(BytesOnDisk(ReadState(target)) > 0, first.Message + Environment.NewLine + Observer);

        var result = await engine.DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size, version: 2), Sha256OfFile(target));
        Assert.True(result.Restarted);
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal($"\"s1-v2-n{size}\"", result.ETag);
        Assert.Contains(Observer.Warnings, w => w.Contains("changed", StringComparison.Ordinal) && w.Contains("s1-v2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VersionChangeInTheMiddleOfAMultiConnectionDownloadNeverMixesVersions()
    {
        var tag = TestTags.New();
        var size = 8 * MiB;
        var target = Temp.File("mid.bin");
        // Probe and two segments get version 1; the other segments' If-Range fails and they get version 2 whole.
        var url = Server.Url($"files/m.bin?size={size}&tag={tag}&changeafter=3");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size, version: 2), Sha256OfFile(target));
        Assert.True(result.Restarted);
        Assert.Equal($"\"s1-v2-n{size}\"", result.ETag);
        Assert.Contains(Observer.Warnings, w => w.Contains("starting over", StringComparison.Ordinal));
        Assert.DoesNotContain(Observer.Warnings, w => w.Contains("ranges", StringComparison.Ordinal));
        // One 200 carried version 2 from byte 0; the other connections then stole ranges of version 2.
        var data = DataRequests(Server, tag);
        Assert.Contains(data, r => r.StatusCode == 200);
        Assert.Contains(data, r => r.StatusCode == 206 && r.IfRange == result.ETag);
        Assert.True(result.Connections > 1, "the download fell back to one connection after the change");
    }

    [Fact]
    public async Task VersionChangeRightAfterTheFirstAnswerNeverMixesVersions()
    {
        var tag = TestTags.New();
        var size = 8 * MiB;
        var target = Temp.File("after-first.bin");
        // The first request (probe and first piece) gets version 1; every range asked after it meets version 2.
        var url = Server.Url($"files/af.bin?size={size}&tag={tag}&changeafter=1");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size, version: 2), Sha256OfFile(target));
        Assert.True(result.Restarted);
        Assert.Equal($"\"s1-v2-n{size}\"", result.ETag);
        var log = Server.Log.ForTag(tag);
        Assert.Equal("bytes=0-", log[0].Range);
        Assert.Equal(206, log[0].StatusCode);
        // The ranges asked with version 1's If-Range came back whole (200): nothing of version 2 was put beside version 1.
        Assert.Contains(log, r => r.IfRange == $"\"s1-v1-n{size}\"" && r.StatusCode == 200);
        Assert.DoesNotContain(log, r => r.IfRange == $"\"s1-v1-n{size}\"" && r.StatusCode == 206);
    }

    [Fact]
    public async Task ServerIgnoringRangesOnResumeRestartsFromZero()
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = Temp.File("ignore.bin");
        var url = Server.Url($"files/i.bin?size={size}&tag={tag}&fault=ignorerange");
        PlantPart(url, target, size, onDisk: MiB);

        var result = await Engine().DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.True(result.Restarted);
        Assert.Equal(1, result.Connections);
        Assert.Contains(Observer.Warnings, w => w.Contains("ranges", StringComparison.Ordinal));
        Assert.All(Server.Log.ForTag(tag), r => Assert.Equal(200, r.StatusCode));
    }

    [Fact]
    public async Task WholeAnswerToARangedRequestDiscardsThePartialDataAndContinuesWithOneConnection()
    {
        // The probe says ranges work; every range request then gets the whole file (200) of the same version.
        var tag = TestTags.New();
        var size = 6 * MiB;
        var target = Temp.File("whole.bin");
        var url = Server.Url($"files/h.bin?size={size}&tag={tag}");
        var ignoring = Server.Url($"files/h.bin?size={size}&tag={tag}&fault=ignorerange");
        PlantPart(url, target, size, onDisk: 2 * MiB);
        var request = Request(url, target, policy: ExistingTargetPolicy.Resume);
        var engine = new DownloadEngine(
            r => new RoutingByteSource(new HttpByteSource(Client, r, Observer), new HttpByteSource(Client, Request(ignoring, target), Observer), _ => true),
            TimeProvider.System,
            Observer);

        var result = await engine.DownloadAsync(request, 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.True(result.Restarted);
        Assert.Contains(Observer.Warnings, w => w.Contains("does not support ranges after all", StringComparison.Ordinal));
        // One 200 per connection of the first pass; the one kept was written from byte 0 and nothing was asked again.
        Assert.InRange(DataRequests(Server, tag).Count, 1, 4);
    }

    [Fact]
    public async Task IdleConnectionsStealFromASlowOne()
    {
        var tag = TestTags.New();
        var size = 16 * MiB;
        var target = Temp.File("steal.bin");
        var url = Server.Url($"files/st.bin?size={size}&tag={tag}");
        var slow = Server.Url($"files/st.bin?size={size}&tag={tag}&rate={MiB}");
        var engine = new DownloadEngine(
            r => new RoutingByteSource(new HttpByteSource(Client, r, Observer), new HttpByteSource(Client, Request(slow, target), Observer), offset => offset == 0),
            TimeProvider.System,
            Observer);

        var result = await engine.DownloadAsync(Request(url, target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        var ranges = DataRequests(Server, tag).Select(r => r.Range).Distinct().ToList();
        Assert.True(ranges.Count > 4, "no range was stolen: " + string.Join(", ", ranges));
        // The slow connection's range was cut short: nobody fetched the first 4 MiB alone at 1 MiB/s.
        var first = DataRequests(Server, tag).Single(r => RangeStart(r.Range) == 0);
        Assert.True(first.BodyBytesSent < 3 * MiB, $"the slow connection sent {first.BodyBytesSent} bytes");
        Assert.Equal(4, result.Connections);
    }

    [Fact]
    public async Task NotSatisfiableInTheMiddleMeansANewVersion()
    {
        var v1 = Enumerable.Range(0, (int)(3 * MiB)).Select(i => (byte)i).ToArray();
        var v2 = Enumerable.Range(0, (int)(2 * MiB)).Select(i => (byte)(i * 7)).ToArray();
        var id1 = new RemoteIdentity(v1.Length, "\"v1\"", null, false);
        var id2 = new RemoteIdentity(v2.Length, "\"v2\"", null, false);
        var target = Temp.File("416.bin");
        using var source = new ScriptedByteSource(
            n => new SourceProbe(n == 1 ? id1 : id2, true, null, new Uri("http://scripted.invalid/file.bin")),
            (_, offset, end, expected) => expected.ETag == "\"v1\""
                ? new RangeBody(RangeAnswer.NotSatisfiable, offset, 0, id2 with { ETag = null }, Stream.Null)
                : ScriptedByteSource.Partial(v2, offset, end, id2));
        var engine = new DownloadEngine(_ => source, TimeProvider.System, Observer);

        var result = await engine.DownloadAsync(Request(source.DisplayUri, target, connections: 2), 1, default);

        Assert.Equal(v2, File.ReadAllBytes(target));
        Assert.True(result.Restarted);
        Assert.Equal(2, source.Probes);
        Assert.Contains(Observer.Warnings, w => w.Contains("\"v1\" -> \"v2\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ResourceThatKeepsChangingFailsWithRemoteChanged()
    {
        var target = Temp.File("flux.bin");
        using var source = new ScriptedByteSource(
            n => new SourceProbe(new RemoteIdentity(3 * MiB, $"\"v{n}\"", null, false), true, null, new Uri("http://scripted.invalid/file.bin")),
            (_, _, _, _) => throw new TransferException(TransferErrorKind.RemoteChanged, "The server now serves another ETag."));
        var engine = new DownloadEngine(_ => source, TimeProvider.System, Observer);

        var failure = await Assert.ThrowsAsync<TransferException>(() => engine.DownloadAsync(Request(source.DisplayUri, target, connections: 1), 1, default));

        Assert.Equal(TransferErrorKind.RemoteChanged, failure.Kind);
        Assert.Contains("kept changing", failure.Message, StringComparison.Ordinal);
        Assert.Equal(1 + DownloadEngine.MaxVersionRestarts, source.Probes);
        Assert.False(File.Exists(target));
    }
}
