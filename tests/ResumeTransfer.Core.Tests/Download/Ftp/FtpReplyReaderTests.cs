using System.Text;
using ResumeTransfer.Core.Download.Sources.Ftp;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.Ftp;

public sealed class FtpReplyReaderTests
{
    [Fact]
    public async Task ReadsSingleLineRepliesInOrder()
    {
        var reader = Reader("220 Ready\r\n331 Password required\r\n230 OK\r\n");

        Assert.Equal((220, "Ready"), Pair(await reader.ReadAsync(default)));
        Assert.Equal((331, "Password required"), Pair(await reader.ReadAsync(default)));
        Assert.Equal((230, "OK"), Pair(await reader.ReadAsync(default)));
    }

    [Fact]
    public async Task ReadsAMultiLineReplyToTheLineWithTheSameCodeAndASpace()
    {
        // RFC 959 §4.2: lines between may start with digits, even with another code or the same code and a hyphen.
        var reader = Reader("211-Features:\r\n MDTM\r\n REST STREAM\r\n123 not the end\r\n211-not the end either\r\n211 End\r\n200 next\r\n");

        var reply = await reader.ReadAsync(default);

        Assert.Equal(211, reply.Code);
        Assert.Equal(new[] { "Features:", " MDTM", " REST STREAM", "123 not the end", "211-not the end either", "End" }, reply.Lines);
        Assert.Equal(200, (await reader.ReadAsync(default)).Code);
    }

    [Fact]
    public async Task ToleratesBareLineFeedsABareCodeAndRepliesSplitAcrossReads()
    {
        var reader = new FtpReplyReader(new TrickleStream(Encoding.ASCII.GetBytes("226\n150 Opening\r\n")));

        Assert.Equal((226, string.Empty), Pair(await reader.ReadAsync(default)));
        Assert.Equal((150, "Opening"), Pair(await reader.ReadAsync(default)));
    }

    [Theory]
    [InlineData("hello\r\n")]
    [InlineData("22 short\r\n")]
    [InlineData("600 out of range\r\n")]
    [InlineData("220_wrong separator\r\n")]
    public async Task ALineWithoutAReplyCodeIsAProtocolViolation(string text)
    {
        var failure = await Assert.ThrowsAsync<TransientTransferException>(() => Reader(text).ReadAsync(default));

        Assert.Equal(TransferErrorKind.ProtocolViolation, failure.Kind);
    }

    [Fact]
    public async Task AnEndlessLineIsRefusedInsteadOfBuffered()
    {
        var failure = await Assert.ThrowsAsync<TransientTransferException>(() => Reader("220 " + new string('x', FtpReplyReader.MaxLineLength + 10) + "\r\n").ReadAsync(default));

        Assert.Equal(TransferErrorKind.ProtocolViolation, failure.Kind);
    }

    [Fact]
    public async Task AClosedConnectionMidReplyIsEndOfStream()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(() => Reader("211-Features:\r\n MDTM\r\n").ReadAsync(default));
    }

    private static FtpReplyReader Reader(string text) => new(new MemoryStream(Encoding.UTF8.GetBytes(text)));

    private static (int, string) Pair(FtpReply reply) => (reply.Code, reply.Message);

    /// <summary>Hands out one byte per read, as a slow network would.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 1), cancellationToken);
    }
}
