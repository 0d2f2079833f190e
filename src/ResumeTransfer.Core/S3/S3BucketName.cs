using System;
using System.Net;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// S3's rules for bucket names (general purpose buckets): 3 to 63 characters of lower-case letters, digits, dots and
/// hyphens, starting and ending with a letter or digit, no two dots in a row, not an IP address, none of the reserved
/// prefixes and suffixes. Aliyun OSS and Tencent COS names (<c>name-1250000000</c>) follow the same rules.
/// </summary>
public static class S3BucketName
{
    /// <summary>Throws <see cref="TransferErrorKind.InvalidArgument"/>, naming the rule broken, for a name S3 refuses.</summary>
    public static void Validate(string bucket)
    {
        if (Problem(bucket) is { } problem)
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{bucket}' is not a valid S3 bucket name: {problem}. Bucket names are 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit; check the s3://bucket/key address.");
        }
    }

    /// <summary>What is wrong with the name, or null when it is valid.</summary>
    public static string? Problem(string bucket)
    {
        if (bucket is null || bucket.Length < 3 || bucket.Length > 63)
        {
            return $"it has {bucket?.Length ?? 0} characters";
        }

        foreach (var c in bucket)
        {
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'))
            {
                return c is >= 'A' and <= 'Z' ? "it has upper-case letters" : $"it has the character '{c}'";
            }
        }

        if (!char.IsLetterOrDigit(bucket[0]) || !char.IsLetterOrDigit(bucket[bucket.Length - 1]))
        {
            return "it must start and end with a letter or digit";
        }

        if (bucket.Contains(".."))
        {
            return "it has two dots in a row";
        }

        if (bucket.Split('.').Length == 4 && IPAddress.TryParse(bucket, out _))
        {
            return "it is an IP address";
        }

        if (bucket.StartsWith("xn--", StringComparison.Ordinal) || bucket.StartsWith("sthree-", StringComparison.Ordinal))
        {
            return "it starts with a reserved prefix";
        }

        if (bucket.EndsWith("-s3alias", StringComparison.Ordinal) || bucket.EndsWith("--ol-s3", StringComparison.Ordinal))
        {
            return "it ends with a reserved suffix";
        }

        return null;
    }
}
