using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources.Http;
using ResumeTransfer.Core.Tests.Infrastructure;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>Downloads onto a real 4 MiB tmpfs: DiskFull before the first byte, or with the state saved so -Resume finishes.</summary>
public sealed class DownloadEngineDiskFullTests : EngineTestBase
{
    private const long DiskSize = 4 * MiB;

    public DownloadEngineDiskFullTests(TestServerFixture fixture)
        : base(fixture, "rt-diskfull")
    {
    }

    [Fact]
    public async Task DeclaredLengthBeyondTheFreeSpaceIsDiskFullBeforeAnyFileIsCreated()
    {
        using var disk = new SmallTmpfs(DiskSize);
        var tag = TestTags.New();
        var size = 6 * MiB;
        var target = disk.File("big.bin");
        var url = Server.Url($"files/big.bin?size={size}&tag={tag}");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target), 1, default));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains($"'big.bin' needs {size} bytes (6 MiB) but the disk holding '{disk.Path}' has only ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("no data was written. Free at least ", failure.Message, StringComparison.Ordinal);
        Assert.Contains("-Resume", failure.Message, StringComparison.Ordinal);
        Assert.Empty(disk.Entries());
    }

    [Fact]
    public async Task AnAlreadyFullDiskIsDiskFullAndLeavesNothingBehind()
    {
        using var disk = new SmallTmpfs(DiskSize);
        disk.Fill(leave: 0);
        var tag = TestTags.New();
        var target = disk.File("small.bin");
        var url = Server.Url($"files/small.bin?size=100000&tag={tag}");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target), 1, default));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains("'small.bin' needs 100000 bytes but the disk holding", failure.Message, StringComparison.Ordinal);
        Assert.Contains("has only 0 bytes free", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "filler.bin" }, disk.Entries());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task DiskFilledDuringTheDownloadSavesTheStateAndResumeFinishes(int connections)
    {
        using var disk = new SmallTmpfs(DiskSize);
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = disk.File("grow.bin");
        var url = Server.Url($"files/grow.bin?size={size}&tag={tag}");
        var filler = disk.File("filler.bin");
        var filling = new DownloadEngine(
            r => new DiskFillingByteSource(new HttpByteSource(Client, r, Observer), after: MiB, () => disk.Fill(leave: 100 * 1024)),
            TimeProvider.System,
            Observer);

        var failure = await Assert.ThrowsAsync<TransferException>(() => filling.DownloadAsync(Request(url, target, connections: connections, maxRetries: 5), 1, default));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains("the state is saved", failure.Message, StringComparison.Ordinal);
        Assert.Contains($"({size} bytes (3 MiB) in all)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("-Resume", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "filler.bin", "grow.bin.rtpart", "grow.bin.rtstate" }, disk.Entries());
        var saved = BytesOnDisk(ReadState(target));
        Assert.True(saved > 0, "the state records no bytes");

        // Not retried: a retry cannot make room, and each would be one more request.
        var requestsBeforeResume = Server.Log.ForTag(tag).Count;
        Assert.True(requestsBeforeResume <= 1 + Math.Min(connections, 3), $"{requestsBeforeResume} requests: the probe and one per segment (3 MiB is 3 segments) at most");

        File.Delete(filler);
        var result = await Engine().DownloadAsync(Request(url, target, connections: connections, policy: ExistingTargetPolicy.Resume), 2, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(saved, result.BytesResumed);
        Assert.Equal(new[] { "grow.bin" }, disk.Entries());
    }

    [Fact]
    public async Task UnknownLengthFillingTheDiskIsDiskFullWithTheStateSaved()
    {
        using var disk = new SmallTmpfs(DiskSize);
        var filler = disk.Fill(leave: (DiskSize / 2) + 12345);
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = disk.File("open.bin");

        // Chunked, no ranges: no length to check before the first byte.
        var url = Server.Url($"files/open.bin?size={size}&tag={tag}&fault=chunked&noranges=1");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(Request(url, target, connections: 1), 1, default));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains("the server did not say how long it is", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the state is saved", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "filler.bin", "open.bin.rtpart", "open.bin.rtstate" }, disk.Entries());
        Assert.True(BytesOnDisk(ReadState(target)) > 0);

        File.Delete(filler);
        await Engine().DownloadAsync(Request(url, target, connections: 1, policy: ExistingTargetPolicy.Resume), 2, default);

        // The server takes no ranges, so the resume starts over (with a warning); the result is the file.
        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(new[] { "open.bin" }, disk.Entries());
    }
}
