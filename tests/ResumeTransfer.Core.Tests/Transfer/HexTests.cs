using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

public sealed class HexTests
{
    [Theory]
    [InlineData(new byte[0], "")]
    [InlineData(new byte[] { 0x00, 0x0f, 0xa0, 0xff }, "000fa0ff")]
    public void LowerAndBack(byte[] bytes, string hex)
    {
        Assert.Equal(hex, Hex.Lower(bytes));
        Assert.Equal(bytes, Hex.ToBytes(hex));
        Assert.Equal(bytes, Hex.ToBytes(hex.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0g")]
    [InlineData("0x")]
    public void NotHexIsAFormatException(string text) => Assert.Throws<FormatException>(() => Hex.ToBytes(text));
}
