using ResumeTransfer.Core.Download.Sources.Ftp;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.Ftp;

/// <summary>The reply texts the source reads: EPSV/PASV ports, MDTM times, FEAT lists.</summary>
public sealed class FtpRepliesTests
{
    [Theory]
    [InlineData("Entering Extended Passive Mode (|||6446|)", 6446)]
    [InlineData("Entering extended passive mode (!!!21000!).", 21000)]
    [InlineData("Entering Extended Passive Mode (|||x|)", null)]
    [InlineData("Entering Extended Passive Mode", null)]
    [InlineData("(||6446|)", null)]
    public void ExtendedPassivePorts(string text, int? port) => Assert.Equal(port, FtpPassiveReply.ParseExtended(text));

    [Theory]
    [InlineData("Entering Passive Mode (127,0,0,1,200,10).", (200 * 256) + 10)]
    [InlineData("Entering Passive Mode 10,0,0,7,4,1", (4 * 256) + 1)]
    [InlineData("Entering Passive Mode (127,0,0,1,300,10)", null)]
    [InlineData("Entering Passive Mode (127,0,0,1,200)", null)]
    [InlineData("no numbers", null)]
    public void PassivePorts(string text, int? port) => Assert.Equal(port, FtpPassiveReply.ParsePassive(text));

    [Fact]
    public void ModificationTimesAreUtcWithOptionalFractions()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 21, 5, 9, TimeSpan.Zero), FtpTime.Parse("20261206210509"));
        Assert.Equal(new DateTimeOffset(2026, 12, 6, 21, 5, 9, TimeSpan.Zero).AddMilliseconds(250), FtpTime.Parse("20261206210509.25"));
        Assert.Null(FtpTime.Parse("2026120621050"));
        Assert.Null(FtpTime.Parse("20261306210509"));
        Assert.Null(FtpTime.Parse("20261206210509."));
        Assert.Null(FtpTime.Parse("yesterday"));
    }

    [Fact]
    public void FeaturesComeFromTheLinesBetweenFirstAndLast()
    {
        var reply = new FtpReply(211, new[] { "Features:", " EPSV", " MDTM", " REST STREAM", " SIZE", " HASH SHA-1;SHA-256*;MD5", "End" });

        var features = FtpFeatures.Parse(reply);

        Assert.Equal(new FtpFeatures(RestStream: true, Size: true, Modified: true, Epsv: true, HashSha256: true, XSha256: false), features);
    }

    [Fact]
    public void RestWithoutStreamAndUnknownFeaturesAreNotTakenForResume()
    {
        var reply = new FtpReply(211, new[] { "Extensions supported:", " REST", " XSHA256", " CLNT", "END" });

        var features = FtpFeatures.Parse(reply);

        Assert.False(features.RestStream);
        Assert.True(features.XSha256);
        Assert.False(features.HashSha256);
    }
}
