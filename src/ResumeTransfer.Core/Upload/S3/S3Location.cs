using System;

namespace ResumeTransfer.Core.Upload.S3;

/// <summary>
/// Bucket and key from an <c>s3://bucket/key</c> address. A key that is empty or ends with '/' is a prefix: the file name
/// is appended (<c>s3://backups/isos/</c> + <c>a.iso</c> = key <c>isos/a.iso</c>).
/// </summary>
/// <param name="Bucket">The bucket.</param>
/// <param name="Key">The object key, unescaped.</param>
public sealed record S3Location(string Bucket, string Key)
{
    public static S3Location Parse(Uri uri, string fileName)
    {
        if (!string.Equals(uri.Scheme, "s3", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(uri.Host))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{uri}' is not an S3 address. Use s3://bucket/key, or s3://bucket/prefix/ to append the file name.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Query))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"An S3 address holds only bucket and key; give credentials with -Credential (access key as user name, secret as password), not in '{uri.Scheme}://...'.");
        }

        var key = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (key.Length == 0 || key.EndsWith("/", StringComparison.Ordinal))
        {
            key += fileName;
        }

        return new S3Location(uri.Host, key);
    }

    public override string ToString() => $"s3://{Bucket}/{Key}";
}
