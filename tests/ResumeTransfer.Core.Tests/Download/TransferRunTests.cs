using System.Buffers;
using ResumeTransfer.Core.Download;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class TransferRunTests
{
    [Theory]
    [InlineData(1, 512 * 1024)]
    [InlineData(8, 512 * 1024)]
    [InlineData(9, 256 * 1024)]
    [InlineData(12, 256 * 1024)]
    [InlineData(16, 256 * 1024)]
    [InlineData(17, 128 * 1024)]
    [InlineData(32, 128 * 1024)]
    public void ManyConnectionsShareTheBufferBudget(int connections, int expected)
    {
        Assert.Equal(expected, TransferRun.BufferSizeFor(connections));
    }

    [Fact]
    public void WhatThePoolHandsOutStaysWithinTheBudget()
    {
        // The workers read into the whole rented array, and the shared pool rounds a request up to a power of two.
        for (var connections = 1; connections <= DownloadRequest.MaxConnections; connections++)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(TransferRun.BufferSizeFor(connections));
            try
            {
                Assert.True(
                    (long)buffer.Length * connections <= TransferRun.TotalBufferBudget,
                    $"{connections} connections hold {buffer.Length} bytes each, over the {TransferRun.TotalBufferBudget}-byte budget.");
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }
}
