using System.IO.Compression;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>
/// Servers that bend the range rules in ways a careful client survives: it degrades (one connection, skipped overlap,
/// encoded bytes saved as sent) instead of failing, never corrupts, and never loses bytes the user has.
/// </summary>
public sealed class DownloadEngineHostileServerTests : EngineTestBase
{
    public DownloadEngineHostileServerTests(TestServerFixture fixture)
        : base(fixture, "rt-hostile")
    {
    }

    [Fact]
    public async Task ServerThatServesRangesOnlyFromByteZeroIsFetchedOnOneConnectionWithAWarning()
    {
        var tag = TestTags.New();
        var size = 6 * MiB;
        var target = Temp.File("from-zero.bin");
        var url = Server.Url($"files/z.bin?size={size}&tag={tag}&fault=range416unlesszero");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.False(result.Restarted);
        Assert.Contains(Observer.Warnings, w => w.Contains("does not really serve ranges", StringComparison.Ordinal) && w.Contains("one connection", StringComparison.Ordinal));
        Assert.DoesNotContain(Observer.Warnings, w => w.Contains("changed", StringComparison.Ordinal));
        // The 416s came only from the first pass's other connections; after them one connection asked from byte 0 (with
        // the validator) and skipped what was on disk: two 206s in all, no restart, no retry.
        var log = Server.Log.ForTag(tag);
        Assert.All(log.Where(r => r.StatusCode == 416), r => Assert.NotEqual(0, RangeStart(r.Range)));
        Assert.InRange(log.Count(r => r.StatusCode == 416), 1, 3);
        Assert.Equal(2, log.Count(r => r.StatusCode == 206));
        Assert.Equal(log.Count, log.Count(r => r.StatusCode is 206 or 416));
        var last = log[^1];
        Assert.Equal(206, last.StatusCode);
        Assert.Equal($"bytes=0-{size - 1}", last.Range);
        Assert.Equal($"\"s1-v1-n{size}\"", last.IfRange);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(1)]
    public async Task ResumeAgainstAServerThatServesRangesOnlyFromByteZeroKeepsTheBytesOnDisk(int connections)
    {
        // The bytes before the first gap are a marker the server never sends: they survive only if they are not fetched again.
        var tag = TestTags.New();
        var size = 4 * MiB;
        var onDisk = (3 * MiB) / 2;
        var target = Temp.File("resume-from-zero.bin");
        var url = Server.Url($"files/rz.bin?size={size}&tag={tag}&fault=range416unlesszero");
        PlantPart(url, target, size, onDisk);

        var result = await Engine().DownloadAsync(Request(url, target, connections: connections, policy: ExistingTargetPolicy.Resume), 1, default);

        var saved = File.ReadAllBytes(target);
        Assert.All(saved.AsSpan(0, (int)onDisk).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.Equal(Server.Content(size).AsSpan((int)onDisk).ToArray(), saved.AsSpan((int)onDisk).ToArray());
        Assert.False(result.Restarted);
        Assert.Equal(onDisk, result.BytesResumed);
        Assert.Contains(Observer.Warnings, w => w.Contains("does not really serve ranges", StringComparison.Ordinal));
        Assert.Equal($"bytes=0-{size - 1}", Server.Log.ForTag(tag)[^1].Range);
    }

    [Fact]
    public async Task PartialAnswerThatStartsBeforeTheAskedOffsetIsUsedAndTheOverlapSkipped()
    {
        var tag = TestTags.New();
        var size = 4 * MiB;
        var target = Temp.File("overlap.bin");
        // Every 206 starts 1000 bytes before the byte asked for (a block-aligning cache), header and body consistent.
        var url = Server.Url($"files/o.bin?size={size}&tag={tag}&fault=overlapstart&at=1000");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4, maxRetries: 0), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(4, result.Connections);
        // Each range was asked once: nothing was retried or discarded.
        var data = DataRequests(Server, tag);
        Assert.Equal(4, data.Count);
        Assert.All(data, r => Assert.Equal(206, r.StatusCode));
    }

    [Fact]
    public async Task ObjectStoredGzippedIsSavedAsServedAndItsHashIsOfTheSavedBytes()
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var stored = StoredGzip.Bytes(size);
        var target = Temp.File("stored.bin.gz");
        var url = Server.Url($"files/g.bin.gz?size={size}&tag={tag}&fault=storedgzip");

        var result = await Engine().DownloadAsync(Request(url, target, connections: 4, expectedHash: StoredGzip.Sha256(size)), 1, default);

        Assert.Equal(StoredGzip.Sha256(size), Sha256OfFile(target));
        Assert.Equal(stored.LongLength, result.Length);
        Assert.Equal(StoredGzip.Sha256(size), result.Hash);
        Assert.Equal(Server.Content(size), Gunzip(target));
        Assert.Contains(Observer.Warnings, w => w.Contains("gzip", StringComparison.Ordinal) && w.Contains("as sent", StringComparison.Ordinal));
        Assert.Single(Observer.Warnings);
        var log = Server.Log.ForTag(tag);
        Assert.True(log.Count > 1, "the download did not use ranges");
        Assert.All(log, r => Assert.Equal("identity", r.AcceptEncoding));
    }

    [Fact]
    public async Task ObjectStoredGzippedResumesOnTheEncodedBytes()
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = Temp.File("resume.bin.gz");
        // The first answer is cut after 1 MiB of compressed bytes; with no retries the run stops there.
        var url = Server.Url($"files/rg.bin.gz?size={size}&tag={tag}&fault=storedgzip,drop&at={MiB}&times=1");
        await Assert.ThrowsAnyAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, connections: 1, maxRetries: 0), 1, default));
        Assert.InRange(BytesOnDisk(ReadState(target)), 1, MiB);

        var result = await Engine().DownloadAsync(
            Request(url, target, connections: 1, policy: ExistingTargetPolicy.Resume, expectedHash: StoredGzip.Sha256(size)), 1, default);

        Assert.Equal(StoredGzip.Sha256(size), Sha256OfFile(target));
        Assert.Equal(Server.Content(size), Gunzip(target));
        Assert.False(result.Restarted);
        Assert.InRange(result.BytesResumed, 1, MiB);
        var resumed = DataRequests(Server, tag)[^1];
        Assert.Equal(206, resumed.StatusCode);
        Assert.Equal(result.BytesResumed, RangeStart(resumed.Range));
        Assert.Equal(StoredGzip.ETag(size), resumed.IfRange);
    }

    [Fact]
    public async Task ExpectedHashOfTheUncompressedContentFailsForAnObjectStoredGzipped()
    {
        var tag = TestTags.New();
        var size = MiB;
        var target = Temp.File("hash.bin.gz");
        var url = Server.Url($"files/h.bin.gz?size={size}&tag={tag}&fault=storedgzip");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, expectedHash: Server.Sha256(size)), 1, default));

        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, failure.Kind);
        Assert.False(File.Exists(target));
        Assert.Equal(StoredGzip.Sha256(size), Sha256OfFile(target + TargetPaths.PartSuffix));
    }

    [Theory]
    [InlineData("", 4)]
    [InlineData("", 1)]
    [InlineData("&fault=range416unlesszero", 4)]
    [InlineData("&fault=storedgzip", 4)]
    [InlineData("&noetag=1&nolastmodified=1", 1)]
    public async Task TargetLongerThanTheRemoteFileIsAnErrorThatKeepsIt(string options, int connections)
    {
        var tag = TestTags.New();
        var target = Temp.File("longer.bin");
        var mine = Enumerable.Range(0, 300_000).Select(i => (byte)(i * 13)).ToArray();
        File.WriteAllBytes(target, mine);

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/longer.bin?size=100000&tag={tag}{options}"), target, connections: connections, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.TargetExists, failure.Kind);
        Assert.Contains("longer than the remote file", failure.Message, StringComparison.Ordinal);
        Assert.Equal(mine, File.ReadAllBytes(target));
        Assert.Equal(new[] { "longer.bin" }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));
        Assert.Empty(DataRequests(Server, tag));
    }

    [Theory]
    [InlineData("bytes 0-9223372036854775806/9223372036854775807")]
    [InlineData("bytes 0-9223372036854775807/*")]
    [InlineData("bytes 0-4611686018427387903/4611686018427387904")]
    public async Task ContentRangeWithAnImpossibleLengthIsAProtocolViolation(string contentRange)
    {
        var tag = TestTags.New();
        var target = Temp.File("huge.bin");
        // Chunked: no Content-Length to contradict the header, so only the header's numbers decide.
        var url = Server.Url($"files/huge.bin?size={MiB}&tag={tag}&fault=chunked&contentrange={Uri.EscapeDataString(contentRange)}");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, connections: 4, maxRetries: 1), 1, default));

        Assert.Equal(TransferErrorKind.ProtocolViolation, failure.Kind);
        Assert.Contains("Content-Range", failure.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(target + TargetPaths.PartSuffix));
    }

    private static byte[] Gunzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
