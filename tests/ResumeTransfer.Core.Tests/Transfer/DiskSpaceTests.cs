using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>Free space and full disks on a real 4 MiB tmpfs mounted under /tmp (not the root file system).</summary>
public sealed class DiskSpaceTests
{
    private const long DiskSize = 4 * 1024 * 1024;

    [Fact]
    public void FreeSpaceIsTheMountsNotTheRootFileSystems()
    {
        using var disk = new SmallTmpfs(DiskSize);
        Directory.CreateDirectory(disk.File("sub"));

        Assert.Equal(DiskSize, DiskSpace.AvailableBytes(disk.File("sub/not-yet.bin")));
        disk.Fill(leave: 1024 * 1024);
        Assert.Equal(1024 * 1024, DiskSpace.AvailableBytes(disk.File("sub/not-yet.bin")));
    }

    [Fact]
    public void AWriteToAFullDiskIsRecognized()
    {
        using var disk = new SmallTmpfs(DiskSize);
        disk.Fill(leave: 0);

        var failure = Assert.ThrowsAny<IOException>(() => File.WriteAllBytes(disk.File("more.bin"), new byte[8192]));

        Assert.True(DiskSpace.IsDiskFull(failure), $"HResult {failure.HResult}: {failure.Message}");
        Assert.False(HttpFailures.IsTransport(failure));
        Assert.True(HttpFailures.IsTransport(new IOException("connection reset")));
        Assert.False(DiskSpace.IsDiskFull(new FileNotFoundException("x")));
        Assert.False(DiskSpace.IsDiskFull(new IOException("connection reset")));
    }

    [Fact]
    public void AStateWriteThatFindsNoRoomLeavesNoTempFileAndThePreviousStateIntact()
    {
        using var disk = new SmallTmpfs(DiskSize);
        var path = disk.File("f.bin.rtstate");
        AtomicFile.WriteAllText(path, "{\"previous\":true}");
        disk.Fill(leave: 0);

        var failure = Assert.Throws<TransferException>(() => AtomicFile.WriteAllText(path, "{\"next\":\"" + new string('x', 5000) + "\"}"));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains(path, failure.Message, StringComparison.Ordinal);
        Assert.Contains("-Resume", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "f.bin.rtstate", "filler.bin" }, disk.Entries());
        Assert.Equal("{\"previous\":true}", File.ReadAllText(path));
    }
}
