using System;
using System.IO;
using System.Net;
using System.Net.Http;
using Amazon.Runtime;
using Amazon.S3;

namespace ResumeTransfer.Core.Upload.S3;

/// <summary>Turns AWS SDK exceptions into <see cref="TransferException"/>s (transient for what a retry may fix).</summary>
internal static class S3Failures
{
    public static bool IsNoSuchUpload(AmazonS3Exception ex) =>
        ex.ErrorCode == "NoSuchUpload" || (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket");

    /// <summary>True when the server does not implement the call (s3rver answers ListParts and Abort with 405, ListMultipartUploads with 501).</summary>
    public static bool IsNotImplemented(AmazonS3Exception ex) =>
        ex.StatusCode is HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented || ex.ErrorCode is "NotImplemented" or "MethodNotAllowed";

    public static Exception Map(Exception exception, string what)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is TransferException ours)
            {
                // Raised under the SDK (an answer past the read limit), which wrapped it: ours says what happened.
                return ours;
            }
        }

        switch (exception)
        {
            case OperationCanceledException:
            case TransferException:
                return exception;
            case AmazonS3Exception s3:
                return FromService(s3, what);
            case AmazonServiceException service when service.StatusCode == 0 || service.InnerException is HttpRequestException or IOException or WebException:
                return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{what}: the connection to S3 failed ({Describe(service)}).", exception);
            case AmazonClientException client when client.InnerException is HttpRequestException or IOException or WebException:
                return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{what}: the connection to S3 failed ({Describe(client)}).", exception);
            case HttpRequestException:
            case IOException:
            case WebException:
                return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{what}: the connection to S3 failed ({exception.Message}).", exception);
            case AmazonClientException client when client.Message.IndexOf("credentials", StringComparison.OrdinalIgnoreCase) >= 0:
                return new TransferException(TransferErrorKind.AccessDenied, $"{what}: no AWS credentials were found ({client.Message}). Give -Credential (access key as user name, secret as password), or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile.", exception);
            case AmazonClientException client:
                return new TransferException(TransferErrorKind.InvalidArgument, $"{what}: {client.Message} Check -Credential, -Endpoint and -Region.", exception);
            default:
                return exception;
        }
    }

    private static TransferException FromService(AmazonS3Exception ex, string what)
    {
        var code = (int)ex.StatusCode;
        var detail = $"{ex.ErrorCode ?? code.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {ex.Message}";
        switch (ex.ErrorCode)
        {
            case "AccessDenied":
            case "InvalidAccessKeyId":
            case "SignatureDoesNotMatch":
            case "InvalidToken":
            case "ExpiredToken":
                return new TransferException(TransferErrorKind.AccessDenied, $"{what}: S3 refused the credentials ({detail}). Check -Credential (access key as user name, secret as password) or the AWS environment/profile. Nothing was lost: run the command again with -Resume once access works.", ex) { StatusCode = code };
            case "NoSuchBucket":
                return new TransferException(TransferErrorKind.NotFound, $"{what}: the bucket does not exist ({detail}). Check the s3:// address and -Endpoint.", ex) { StatusCode = code };
            case "SlowDown":
            case "RequestTimeout":
            case "InternalError":
            case "ServiceUnavailable":
                return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}. This is usually temporary.", ex) { StatusCode = code };
            case "BadDigest":
            case "InvalidDigest":
                return new TransientTransferException(TransferErrorKind.IntegrityCheckFailed, $"{what}: S3 found the part's Content-MD5 wrong ({detail}): it was damaged on the way and is sent again.", ex) { StatusCode = code };
        }

        if (code is 401 or 403)
        {
            return new TransferException(TransferErrorKind.AccessDenied, $"{what}: S3 refused access ({detail}). Check -Credential or the AWS environment/profile.", ex) { StatusCode = code };
        }

        if (code is 408 or 429 or >= 500)
        {
            return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}. This is usually temporary.", ex) { StatusCode = code };
        }

        if (code == 0)
        {
            return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{what}: no answer from S3 ({detail}).", ex);
        }

        return new TransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}.", ex) { StatusCode = code };
    }

    private static string Describe(Exception ex) => ex.InnerException is { } inner ? $"{ex.Message}: {inner.Message}" : ex.Message;
}
