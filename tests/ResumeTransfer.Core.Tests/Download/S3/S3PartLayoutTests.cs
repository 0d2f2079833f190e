using ResumeTransfer.Core.Download.Sources.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.S3;

public sealed class S3PartLayoutTests
{
    private const long MiB = 1024 * 1024;

    [Theory]
    [InlineData("\"c2dd7ba8e550c6b9b959e37374a2c629-6\"", 6)]
    [InlineData("c2dd7ba8e550c6b9b959e37374a2c629-10000", 10000)]
    [InlineData("\"c2dd7ba8e550c6b9b959e37374a2c629\"", null)]
    [InlineData("\"c2dd7ba8e550c6b9b959e37374a2c629-1\"", null)]
    [InlineData("\"abc-10001\"", null)]
    [InlineData("\"abc-x\"", null)]
    [InlineData(null, null)]
    public void ThePartCountComesFromTheETagSuffix(string? etag, int? parts)
    {
        Assert.Equal(parts, S3PartLayout.PartCountFromETag(etag));
    }

    [Theory]
    // total, parts, part 1 as the store says, parts count the store says: part size, measured
    [InlineData((30 * MiB) + 3, 7, 5 * MiB, 7, 5 * MiB, true)]
    [InlineData((30 * MiB) + 3, 7, 5 * MiB, null, 5 * MiB, true)]
    [InlineData((30 * MiB) + 3, 7, null, null, 5 * MiB, false)] // 30 MiB / 7 = 4.3 MiB: 5 MiB is the smallest whole MiB that makes 7 parts
    [InlineData((30 * MiB) + 3, 7, (30 * MiB) + 3, null, 5 * MiB, false)] // a store that ignores partNumber answers the whole length
    [InlineData((30 * MiB) + 3, 7, 5 * MiB, 6, 5 * MiB, false)] // the store's count disagrees with the ETag: estimate
    [InlineData(1000, 3, null, null, 334, false)] // no whole MiB fits: the even split
    [InlineData(64 * MiB, 8, null, null, 8 * MiB, false)]
    public void ThePartSizeIsTheStoresWhenItFitsElseTheEstimate(long total, int parts, long? part1, int? reported, long expected, bool measured)
    {
        var layout = S3PartLayout.From(total, parts, part1, reported);
        Assert.Equal(expected, layout.PartBytes);
        Assert.Equal(measured, layout.Measured);
        Assert.Equal(parts, layout.Parts);
    }
}
