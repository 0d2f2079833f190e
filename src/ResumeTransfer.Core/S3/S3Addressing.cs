using System;
using System.Text.RegularExpressions;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// How requests to an S3-compatible endpoint name the bucket, and the region they are signed for when -Region is not
/// given. Path style (<c>https://endpoint/bucket/key</c>) works with every S3-compatible server and with any bucket name,
/// so it is the default for an -Endpoint; virtual-hosted style (<c>https://bucket.endpoint/key</c>) is used where the
/// store requires it: Aliyun OSS (<c>*.aliyuncs.com</c>) refuses path style (SecondLevelDomainForbidden) and Tencent COS
/// (<c>*.myqcloud.com</c>) refuses it for buckets created since 2024. AWS itself (no -Endpoint) is left to the SDK.
/// </summary>
public static class S3Addressing
{
    private static readonly Regex OssHost = new(@"^(?:s3\.)?oss-(?<region>[a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
    private static readonly Regex CosHost = new(@"^cos\.(?<region>[a-z0-9-]+)\.myqcloud\.com$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    /// <summary>True when requests to <paramref name="endpoint"/> put the bucket in the path.</summary>
    public static bool UsesPathStyle(Uri endpoint) => !RequiresVirtualHost(endpoint);

    /// <summary>True for the stores that accept only virtual-hosted style: Aliyun OSS and Tencent COS.</summary>
    public static bool RequiresVirtualHost(Uri endpoint)
    {
        var host = (endpoint ?? throw new ArgumentNullException(nameof(endpoint))).Host.TrimEnd('.');
        return host.EndsWith(".aliyuncs.com", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".myqcloud.com", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The region requests to <paramref name="endpoint"/> are signed for: -Region when given, else the one an OSS or COS
    /// endpoint names (<c>oss-cn-hangzhou.aliyuncs.com</c>: cn-hangzhou; <c>cos.ap-guangzhou.myqcloud.com</c>:
    /// ap-guangzhou), else us-east-1, which S3-compatible servers such as MinIO, Ceph and Swift expect by default.
    /// </summary>
    public static string SigningRegion(Uri endpoint, string? region)
    {
        if (!string.IsNullOrWhiteSpace(region))
        {
            return region!.Trim();
        }

        var host = (endpoint ?? throw new ArgumentNullException(nameof(endpoint))).Host.TrimEnd('.');
        var match = OssHost.Match(host);
        if (!match.Success)
        {
            match = CosHost.Match(host);
        }

        return match.Success ? match.Groups["region"].Value.ToLowerInvariant() : "us-east-1";
    }
}
