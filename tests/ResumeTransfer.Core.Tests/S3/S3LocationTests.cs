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

public sealed class S3LocationObjectTests
{
    [Theory]
    [InlineData("s3://backups/isos/a.iso", "backups", "isos/a.iso")]
    [InlineData("s3://my.bucket-1250000000/a%20b/c.bin", "my.bucket-1250000000", "a b/c.bin")]
    [InlineData("s3://abc/k", "abc", "k")]
    public void ParsesTheObjectOfADownload(string uri, string bucket, string key)
    {
        var location = S3Location.ParseObject(new Uri(uri));
        Assert.Equal(bucket, location.Bucket);
        Assert.Equal(key, location.Key);
    }

    [Theory]
    [InlineData("s3://backups", "names a bucket, not an object")]
    [InlineData("s3://backups/", "names a bucket, not an object")]
    [InlineData("s3://backups/isos/", "names a prefix, not an object. Give the object's key, such as s3://backups/isos/file.iso")]
    [InlineData("s3://AKIA:s3cr3tValue@backups/a", "give credentials with -Credential")]
    [InlineData("s3://backups/a.iso?versionId=3", "has a query or fragment")]
    [InlineData("s3://backups/a.iso#x", "has a query or fragment")]
    [InlineData("s3://MyBucket/a.iso", "it has upper-case letters")]
    [InlineData("s3://ab/a.iso", "it has 2 characters")]
    [InlineData("s3://my_bucket/a.iso", "it has the character '_'")]
    [InlineData("s3://-bucket/a.iso", "it must start and end with a letter or digit")]
    [InlineData("s3://192.168.1.10/a.iso", "it is an IP address")]
    [InlineData("s3://xn--bucket/a.iso", "reserved prefix")]
    [InlineData("s3://bucket-s3alias/a.iso", "reserved suffix")]
    public void RefusesWhatIsNotOneObjectNamingTheFix(string uri, string says)
    {
        var error = Assert.Throws<TransferException>(() => S3Location.ParseObject(new Uri(uri)));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3tValue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BucketNamesTheUriParserAcceptsAreCheckedByTheRulesToo()
    {
        Assert.Contains("two dots in a row", S3BucketName.Problem("my..bucket"), StringComparison.Ordinal);
        Assert.Contains("start and end", S3BucketName.Problem("bucket."), StringComparison.Ordinal);
        Assert.Null(S3BucketName.Problem("examplebucket-1250000000"));
        Assert.Null(S3BucketName.Problem("my.bucket.name"));
        Assert.Null(S3BucketName.Problem(new string('a', 63)));
        Assert.Contains("64 characters", S3BucketName.Problem(new string('a', 64)), StringComparison.Ordinal);
    }

    [Fact]
    public void ABucketNameOfSixtyFourCharactersIsRefused()
    {
        Assert.Null(S3BucketName.Problem(new string('a', 63)));
        Assert.Contains("64 characters", S3BucketName.Problem(new string('a', 64)), StringComparison.Ordinal);
    }

    [Fact]
    public void UploadsToAnInvalidBucketAreRefusedToo()
    {
        var error = Assert.Throws<TransferException>(() => S3Location.Parse(new Uri("s3://Bad_Bucket/isos/"), "a.iso"));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
    }
}
