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
