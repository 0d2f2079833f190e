using ResumeTransfer.Core.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.S3;

public sealed class S3LocationTests
{
    [Theory]
    [InlineData("s3://backups/isos/a.iso", "x.bin", "backups", "isos/a.iso")]
    [InlineData("s3://backups/isos/", "x.bin", "backups", "isos/x.bin")]
    [InlineData("s3://backups", "x.bin", "backups", "x.bin")]
    [InlineData("s3://backups/with%20space/r%C3%A9sum%C3%A9.pdf", "x.bin", "backups", "with space/résumé.pdf")]
    public void ParsesBucketAndKeyAndAppendsTheFileNameToPrefixes(string uri, string fileName, string bucket, string key)
    {
        var location = S3Location.Parse(new Uri(uri), fileName);
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(key, location.Key);
    }

    [Theory]
    [InlineData("https://backups/a")]
    [InlineData("s3://AKIA:secret@backups/a")]
    public void RejectsOtherSchemesAndInlineCredentials(string uri)
    {
        var error = Assert.Throws<TransferException>(() => S3Location.Parse(new Uri(uri), "x"));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.DoesNotContain("AKIA", error.Message, StringComparison.Ordinal);
    }
}
