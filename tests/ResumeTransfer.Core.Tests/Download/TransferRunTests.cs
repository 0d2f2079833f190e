using ResumeTransfer.Core.Download;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class TransferRunTests
{
    [Theory]
    [InlineData(1, 512 * 1024)]
    [InlineData(4, 512 * 1024)]
    [InlineData(8, 512 * 1024)]
    [InlineData(12, 349_525)]
    [InlineData(16, 256 * 1024)]
    [InlineData(32, 128 * 1024)]
    [InlineData(64, 128 * 1024)]
    public void ManyConnectionsShareTheBufferBudget(int connections, int expected)
    {
        var size = TransferRun.BufferSizeFor(connections);

        Assert.Equal(expected, size);
        // Up to the 32 connections a download may have, all buffers together fit the budget.
        Assert.True(connections > DownloadRequest.MaxConnections || (long)size * connections <= TransferRun.TotalBufferBudget);
    }
}
