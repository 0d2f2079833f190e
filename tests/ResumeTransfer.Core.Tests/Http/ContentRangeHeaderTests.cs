using ResumeTransfer.Core.Download.Sources.Http;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

public class ContentRangeHeaderTests
{
    [Theory]
    [InlineData("bytes 0-0/100", 0L, 0L, 100L)]
    [InlineData("bytes 5-99/100", 5L, 99L, 100L)]
    [InlineData("BYTES 5-9/10", 5L, 9L, 10L)]
    [InlineData("  bytes 7-7/8\t", 7L, 7L, 8L)]
    [InlineData("bytes 007-9/10", 7L, 9L, 10L)]
    [InlineData("bytes 0-9223372036854775806/9223372036854775807", 0L, 9223372036854775806L, 9223372036854775807L)]
    [InlineData("bytes 1-9223372036854775807/*", 1L, 9223372036854775807L, null)]
    [InlineData("bytes 9223372036854775807-9223372036854775807/*", 9223372036854775807L, 9223372036854775807L, null)]
    public void ParsesSatisfiedRanges(string value, long first, long last, long? total)
    {
        Assert.True(ContentRangeHeader.TryParse(value, out var range));
        Assert.False(range.IsUnsatisfied);
        Assert.Equal(first, range.First);
        Assert.Equal(last, range.Last);
        Assert.Equal(total, range.CompleteLength);
        Assert.Equal(last - first + 1, range.RangeLength);
    }

    [Fact]
    public void ParsesUnknownCompleteLength()
    {
        Assert.True(ContentRangeHeader.TryParse("bytes 10-19/*", out var range));
        Assert.Equal(10L, range.First);
        Assert.Equal(19L, range.Last);
        Assert.Null(range.CompleteLength);
        Assert.Equal(10L, range.RangeLength);
    }

    [Theory]
    [InlineData("bytes */100", 100L)]
    [InlineData("bytes */0", 0L)]
    public void ParsesUnsatisfiedForm(string value, long total)
    {
        Assert.True(ContentRangeHeader.TryParse(value, out var range));
        Assert.True(range.IsUnsatisfied);
        Assert.Null(range.First);
        Assert.Null(range.Last);
        Assert.Equal(total, range.CompleteLength);
        Assert.Equal(0L, range.RangeLength);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bytes")]
    [InlineData("bytes ")]
    [InlineData("bytes 5-3/10")] // first after last
    [InlineData("bytes 0-10/10")] // last at or past the end
    [InlineData("bytes 0-9/0")]
    [InlineData("bytes -1-9/10")]
    [InlineData("bytes +1-9/10")]
    [InlineData("bytes 1 -9/10")]
    [InlineData("bytes 1- 9/10")]
    [InlineData("bytes 1-9 /10")]
    [InlineData("bytes 1-9/ 10")]
    [InlineData("bytes  1-9/10")] // two spaces after the unit
    [InlineData("bytes=1-9/10")]
    [InlineData("bytes1-9/10")]
    [InlineData("items 1-9/10")]
    [InlineData("bytes 1-9")]
    [InlineData("bytes 1-/10")]
    [InlineData("bytes -9/10")]
    [InlineData("bytes 1-9/10/11")]
    [InlineData("bytes 1-9/10, bytes 11-12/20")]
    [InlineData("bytes 1-9/10x")]
    [InlineData("bytes */*")]
    [InlineData("bytes */")]
    [InlineData("bytes *")]
    [InlineData("bytes 1.5-9/10")]
    [InlineData("bytes 0-9223372036854775808/9223372036854775809")] // overflow
    [InlineData("bytes 0-9223372036854775807/*")] // 2^63 bytes: the range's length is not a long
    [InlineData("bytes 9223372036854775807-9223372036854775807/9223372036854775807")] // last at the end
    [InlineData("bytes 0-99999999999999999999/*")]
    [InlineData("bytes */99999999999999999999")]
    [InlineData("bytes ٠-٩/١٠")] // Arabic-Indic digits are digits to char.IsDigit, not to HTTP
    public void RejectsMalformed(string? value)
    {
        Assert.False(ContentRangeHeader.TryParse(value, out _));
    }

    [Fact]
    public void FormatsBackToTheWireForm()
    {
        Assert.True(ContentRangeHeader.TryParse("bytes 1-2/3", out var a));
        Assert.Equal("bytes 1-2/3", a.ToString());
        Assert.True(ContentRangeHeader.TryParse("bytes 1-2/*", out var b));
        Assert.Equal("bytes 1-2/*", b.ToString());
        Assert.True(ContentRangeHeader.TryParse("bytes */3", out var c));
        Assert.Equal("bytes */3", c.ToString());
    }
}
