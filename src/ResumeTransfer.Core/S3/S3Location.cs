using System;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// Bucket and key from an <c>s3://bucket/key</c> address, checked before any traffic: no credentials or query in the
/// address, a bucket name S3 accepts (<see cref="S3BucketName"/>). For an upload a key that is empty or ends with '/' is a
/// prefix and the file name is appended (<c>s3://backups/isos/</c> + <c>a.iso</c> = key <c>isos/a.iso</c>); a download
/// needs the key of one object.
/// </summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The object key, unescaped.</param>
public sealed record S3Location(string Bucket, string Key)
{
    /// <summary>The location an upload of <paramref name="fileName"/> to <paramref name="uri"/> writes.</summary>
    /// <exception cref="TransferException"><see cref="TransferErrorKind.InvalidArgument"/> for an address that is not a valid S3 one.</exception>
    public static S3Location Parse(Uri uri, string fileName)
    {
        var (bucket, key) = Split(uri);
        if (key.Length == 0 || key.EndsWith("/", StringComparison.Ordinal))
        {
            key += fileName;
        }

        return new S3Location(bucket, key);
    }

    /// <summary>The object a download of <paramref name="uri"/> reads: the address must name a key, not a prefix.</summary>
    /// <exception cref="TransferException"><see cref="TransferErrorKind.InvalidArgument"/> for an address that is not one object's.</exception>
    public static S3Location ParseObject(Uri uri)
    {
        var (bucket, key) = Split(uri);
        if (key.Length == 0 || key.EndsWith("/", StringComparison.Ordinal))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{Transfer.HttpOrigin.Redacted(uri)}' names {(key.Length == 0 ? "a bucket" : "a prefix")}, not an object. Give the object's key, such as s3://{bucket}/{(key.Length == 0 ? string.Empty : key)}file.iso.");
        }

        return new S3Location(bucket, key);
    }

    public override string ToString() => $"s3://{Bucket}/{Key}";

    private static (string Bucket, string Key) Split(Uri uri)
    {
        if (uri is null)
        {
            throw new ArgumentNullException(nameof(uri));
        }

        if (!uri.IsAbsoluteUri || !string.Equals(uri.Scheme, "s3", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(uri.Host))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{Transfer.HttpOrigin.Redacted(uri)}' is not an S3 address. Use s3://bucket/key, or s3://bucket/prefix/ to append the file name.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, "An S3 address holds only bucket and key; give credentials with -Credential (access key as user name, secret as password), not in the s3:// address.");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{Transfer.HttpOrigin.Redacted(uri)}' has a query or fragment; an s3:// address holds only bucket and key (a key with '?' or '#' in it is written %3F or %23). For a presigned https URL, give that URL itself.");
        }

        // Uri lower-cases the host: the bucket is checked as typed, so "MyBucket" is refused rather than silently changed.
        var bucket = BucketAsTyped(uri);
        S3BucketName.Validate(bucket);
        return (bucket, Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')));
    }

    private static string BucketAsTyped(Uri uri)
    {
        var text = uri.OriginalString;
        var start = text.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
        {
            return uri.Host;
        }

        start += 3;
        var end = text.IndexOfAny(new[] { '/', '?', '#' }, start);
        var authority = end < 0 ? text.Substring(start) : text.Substring(start, end - start);
        return authority.Length > 0 ? authority : uri.Host;
    }
}
