using ResumeTransfer.Core.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.S3;

public sealed class S3AddressingTests
{
    [Theory]
    // endpoint, -Region, path style, signing region
    [InlineData("http://127.0.0.1:9000", null, true, "us-east-1")]
    [InlineData("https://minio.example.com", "eu-west-1", true, "eu-west-1")]
    [InlineData("https://oss-cn-hangzhou.aliyuncs.com", null, false, "cn-hangzhou")]
    [InlineData("https://s3.oss-cn-hangzhou.aliyuncs.com", null, false, "cn-hangzhou")]
    [InlineData("https://oss-cn-shanghai-internal.aliyuncs.com", null, false, "cn-shanghai")]
    [InlineData("https://cos.ap-guangzhou.myqcloud.com", null, false, "ap-guangzhou")]
    [InlineData("https://cos.ap-guangzhou.myqcloud.com", "ap-beijing", false, "ap-beijing")]
    [InlineData("https://cos-internal.ap-guangzhou.tencentcos.cn", null, true, "us-east-1")]
    public void PathStyleUnlessTheStoreRequiresVirtualHostsAndTheRegionFromTheEndpoint(string endpoint, string? region, bool pathStyle, string signing)
    {
        var uri = new Uri(endpoint);
        Assert.Equal(pathStyle, S3Addressing.UsesPathStyle(uri));
        Assert.Equal(signing, S3Addressing.SigningRegion(uri, region));
    }
}

/// <summary>What the shared client factory makes of an endpoint, read from presigned URLs (the SDK builds them without any traffic).</summary>
public sealed class S3ClientFactoryTests
{
    [Theory]
    [InlineData("http://127.0.0.1:9000", null, "http://127.0.0.1:9000/examplebucket/dir/a.bin", "/us-east-1/s3/")]
    [InlineData("https://oss-cn-hangzhou.aliyuncs.com", null, "https://examplebucket.oss-cn-hangzhou.aliyuncs.com/dir/a.bin", "/cn-hangzhou/s3/")]
    [InlineData("https://cos.ap-guangzhou.myqcloud.com", null, "https://examplebucket.cos.ap-guangzhou.myqcloud.com/dir/a.bin", "/ap-guangzhou/s3/")]
    [InlineData("https://minio.example.com", "eu-west-1", "https://minio.example.com/examplebucket/dir/a.bin", "/eu-west-1/s3/")]
    public void RequestsGoWhereTheStoreWantsThemSignedForItsRegion(string endpoint, string? region, string prefix, string scope)
    {
        var request = new ResumeTransfer.Core.Download.DownloadRequest
        {
            Uri = new Uri("s3://examplebucket/dir/a.bin"),
            OutputPath = "unused",
            Endpoint = new Uri(endpoint),
            Region = region,
            Credential = new System.Net.NetworkCredential("AKIDEXAMPLE", "secret"),
        };
        using var client = S3ClientFactory.Create(request, connections: 1);

        var url = client.GetPreSignedURL(new Amazon.S3.Model.GetPreSignedUrlRequest
        {
            BucketName = "examplebucket",
            Key = "dir/a.bin",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Protocol = endpoint.StartsWith("https", StringComparison.Ordinal) ? Amazon.S3.Protocol.HTTPS : Amazon.S3.Protocol.HTTP,
        });

        Assert.StartsWith(prefix + "?", url, StringComparison.Ordinal);
        Assert.Contains(Uri.EscapeDataString(scope), url, StringComparison.Ordinal);
    }

    [Theory]
    // -TimeoutSec, the SDK's whole-request limit
    [InlineData(30, 600)]
    [InlineData(3600, 3600)]
    public void TheSdksRequestTimeoutNeverCutsShortTheStallTimeout(int stallSeconds, int sdkSeconds)
    {
        // Otherwise a silent store under -TimeoutSec 3600 would end as a cancellation nobody asked for, not as a stall.
        var request = new ResumeTransfer.Core.Download.DownloadRequest
        {
            Uri = new Uri("s3://examplebucket/a.bin"),
            OutputPath = "unused",
            Endpoint = new Uri("http://127.0.0.1:9000"),
            Credential = new System.Net.NetworkCredential("AKIDEXAMPLE", "secret"),
            StallTimeout = TimeSpan.FromSeconds(stallSeconds),
        };

        using var client = S3ClientFactory.Create(request, connections: 1);

        Assert.Equal(TimeSpan.FromSeconds(sdkSeconds), client.Config.Timeout);
    }
}

public sealed class S3HttpClientFactoryTests
{
    [Fact]
    public void ClientsWithAnotherConnectionLimitDoNotShareAnHttpClient()
    {
        var factory = new S3HttpClientFactory();
        var one = new Amazon.S3.AmazonS3Config { MaxConnectionsPerServer = 1, Timeout = TimeSpan.FromMinutes(10) };
        var four = new Amazon.S3.AmazonS3Config { MaxConnectionsPerServer = 4, Timeout = TimeSpan.FromMinutes(10) };
        var alsoFour = new Amazon.S3.AmazonS3Config { MaxConnectionsPerServer = 4, Timeout = TimeSpan.FromMinutes(10) };
        var unlimited = new Amazon.S3.AmazonS3Config { Timeout = TimeSpan.FromMinutes(10) };

        Assert.NotEqual(factory.GetConfigUniqueString(one), factory.GetConfigUniqueString(four));
        Assert.NotEqual(factory.GetConfigUniqueString(four), factory.GetConfigUniqueString(unlimited));
        Assert.Equal(factory.GetConfigUniqueString(four), factory.GetConfigUniqueString(alsoFour));
    }
}
