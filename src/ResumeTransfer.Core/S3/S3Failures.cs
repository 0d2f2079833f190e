using System;
using System.IO;
using System.Net;
using System.Net.Http;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.S3;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.S3;

/// <summary>
/// Turns AWS SDK exceptions into <see cref="TransferException"/>s, for both directions: a missing bucket or key is
/// <see cref="TransferErrorKind.NotFound"/>, refused or expired credentials <see cref="TransferErrorKind.AccessDenied"/>
/// (neither is retried), throttling (503 SlowDown) and server errors transient, with the server's Retry-After.
/// </summary>
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
        // A HEAD's error has no body, so no error code: the status stands in for it.
        var detail = $"{(string.IsNullOrEmpty(ex.ErrorCode) ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : ex.ErrorCode)}: {ex.Message}";
        switch (ex.ErrorCode)
        {
            case "AccessDenied":
            case "InvalidAccessKeyId":
            case "SignatureDoesNotMatch":
            case "InvalidToken":
                return new TransferException(TransferErrorKind.AccessDenied, $"{what}: S3 refused the credentials ({detail}). Check -Credential (access key as user name, secret as password) or the AWS environment/profile. Nothing was lost: run the command again with -Resume once access works.", ex) { StatusCode = code };
            case "ExpiredToken":
            case "TokenRefreshRequired":
            case "RequestExpired":
            case "RequestTimeTooSkewed":
                return new TransferException(TransferErrorKind.AccessDenied, $"{what}: S3 refused the request as expired ({detail}): the session token has expired, or this computer's clock is wrong. Get fresh credentials (or set the clock right), then run the command again with -Resume: nothing was lost.", ex) { StatusCode = code };
            case "NoSuchBucket":
                return new TransferException(TransferErrorKind.NotFound, $"{what}: the bucket does not exist ({detail}). Check the s3:// address and -Endpoint.", ex) { StatusCode = code };
            case "NoSuchKey":
                return new TransferException(TransferErrorKind.NotFound, $"{what}: the bucket has no object with this key ({detail}). Check the key in the s3:// address (keys are case-sensitive).", ex) { StatusCode = code };
            case "SlowDown":
            case "RequestTimeout":
            case "InternalError":
            case "ServiceUnavailable":
                return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}. This is usually temporary.", ex, RetryAfter(ex)) { StatusCode = code };
            case "BadDigest":
            case "InvalidDigest":
                return new TransientTransferException(TransferErrorKind.IntegrityCheckFailed, $"{what}: S3 found the part's Content-MD5 wrong ({detail}): it was damaged on the way and is sent again.", ex) { StatusCode = code };
        }

        if (code is 401 or 403)
        {
            return new TransferException(TransferErrorKind.AccessDenied, $"{what}: S3 refused access ({detail}). Check -Credential or the AWS environment/profile.", ex) { StatusCode = code };
        }

        // 501 Not Implemented is an answer about the call, not a passing state: retrying cannot change it.
        if ((code is 408 or 429 or (>= 500 and not 501)) && ex.ErrorCode != "NotImplemented")
        {
            return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}. This is usually temporary.", ex, RetryAfter(ex)) { StatusCode = code };
        }

        if (code == 404 && (string.IsNullOrEmpty(ex.ErrorCode) || ex.ErrorCode == "NotFound"))
        {
            // A HEAD's 404 has no error document to tell the bucket from the key.
            return new TransferException(TransferErrorKind.NotFound, $"{what}: S3 found nothing there ({detail}). Check the bucket and key of the s3:// address and -Endpoint.", ex) { StatusCode = code };
        }

        if (code == 0)
        {
            return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{what}: no answer from S3 ({detail}).", ex);
        }

        return new TransferException(TransferErrorKind.HttpError, $"{what}: S3 answered {detail}.", ex) { StatusCode = code };
    }

    /// <summary>The Retry-After of the answer (seconds or an HTTP date), from the response the SDK keeps under its exception.</summary>
    private static TimeSpan? RetryAfter(AmazonServiceException ex)
    {
        if (ex.InnerException is not HttpErrorResponseException { Response: { } response } || !response.IsHeaderPresent("Retry-After"))
        {
            return null;
        }

        return RetryAfterHeader.Parse(response.GetHeaderValue("Retry-After"), DateTimeOffset.UtcNow);
    }

    private static string Describe(Exception ex) => ex.InnerException is { } inner ? $"{ex.Message}: {inner.Message}" : ex.Message;
}
