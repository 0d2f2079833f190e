using System;
using System.Net.Http;
using ResumeTransfer.Core.Download.Sources.Ftp;
using ResumeTransfer.Core.Download.Sources.Http;
using ResumeTransfer.Core.Download.Sources.S3;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>
/// Picks the byte source for a download from its address's scheme: http(s), ftp(s) or s3. The one place that knows
/// which schemes exist, so the validator, the engine and the cmdlet agree on them.
/// </summary>
internal static class ByteSourceFactory
{
    /// <summary>The schemes Save-ResumableFile downloads from, for messages.</summary>
    public const string SupportedSchemes = "http://, https://, ftp://, ftps:// or s3://bucket/key";

    /// <summary>
    /// Throws <see cref="TransferErrorKind.InvalidArgument"/> when the address cannot be downloaded from (an unknown
    /// scheme, or what the source's own rules refuse), before any traffic.
    /// </summary>
    public static void Validate(DownloadRequest request)
    {
        switch (SchemeOf(request.Uri))
        {
            case SourceScheme.Http:
                return;
            case SourceScheme.Ftp:
                FtpByteSource.Validate(request);
                return;
            case SourceScheme.S3:
                S3ByteSource.Validate(request);
                return;
            default:
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"'{Transfer.HttpOrigin.Redacted(request.Uri)}' is not an address Save-ResumableFile can download from. Give an absolute {SupportedSchemes} address, such as https://example.com/file.iso.");
        }
    }

    /// <summary>The source for <paramref name="request"/> (already validated); the http(s) source uses the invocation's shared <paramref name="client"/>.</summary>
    public static IByteSource Create(DownloadRequest request, HttpClient client, ITransferObserver observer, TimeProvider timeProvider) =>
        SchemeOf(request.Uri) switch
        {
            SourceScheme.Ftp => new FtpByteSource(request, observer, timeProvider),
            SourceScheme.S3 => new S3ByteSource(request, observer, timeProvider),
            _ => new HttpByteSource(client, request, observer, timeProvider),
        };

    /// <summary>True when the address is an s3:// one (the only kind -Endpoint and -Region apply to).</summary>
    public static bool IsS3(Uri? uri) => SchemeOf(uri) == SourceScheme.S3;

    private static SourceScheme SchemeOf(Uri? uri)
    {
        if (uri is null || !uri.IsAbsoluteUri)
        {
            return SourceScheme.Unknown;
        }

        if (Transfer.HttpAddress.IsHttpOrHttps(uri))
        {
            return SourceScheme.Http;
        }

        return uri.Scheme.ToLowerInvariant() switch
        {
            "ftp" or "ftps" => SourceScheme.Ftp,
            "s3" => SourceScheme.S3,
            _ => SourceScheme.Unknown,
        };
    }

    private enum SourceScheme
    {
        Unknown,
        Http,
        Ftp,
        S3,
    }
}
