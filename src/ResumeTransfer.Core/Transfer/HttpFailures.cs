using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Authentication;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// The one failure classifier for HTTP answers and transport errors, downloads and uploads alike: transient for what
/// a retry may fix (408, 429 and 5xx with their Retry-After, resets, refused connections), final for what it will not
/// (other 4xx, TLS trust failures). Protocols with error codes of their own (S3, the chunk API) map those first and
/// fall back to this for plain statuses.
/// </summary>
public static class HttpFailures
{
    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or (HttpStatusCode)308;

    /// <summary>The exception for a status the protocol did not expect.</summary>
    /// <param name="response">The response; only its status, headers and request address are read.</param>
    /// <param name="what">What was being done ("Creating the tus upload of 'a.iso'"), or null to start with the address.</param>
    /// <param name="secretsWithheld">True when a redirect to another origin made us keep the user's headers and credential back.</param>
    public static TransferException FromStatus(HttpResponseMessage response, string? what, bool secretsWithheld = false)
    {
        if (response is null)
        {
            throw new ArgumentNullException(nameof(response));
        }

        var code = (int)response.StatusCode;
        var where = response.RequestMessage?.RequestUri is { IsAbsoluteUri: true } uri ? HttpOrigin.DisplayText(uri) : "the server";
        var prefix = what is null ? string.Empty : what + ": ";
        var status = $"{code} ({response.ReasonPhrase})";
        switch (code)
        {
            case 429:
            case 503:
                var retryAfter = RetryAfterHeader.Read(response, DateTimeOffset.UtcNow);
                var wait = retryAfter is { } w ? $"; it asked to retry after {w.TotalSeconds:0} s" : string.Empty;
                return new TransientTransferException(
                    TransferErrorKind.HttpError,
                    $"{prefix}{where} is busy and answered {status}{wait}. Try again later.",
                    retryAfter: retryAfter)
                { StatusCode = code };
            case 408:
            case >= 500 and <= 599:
                return new TransientTransferException(
                    TransferErrorKind.HttpError,
                    $"{prefix}{where} answered {status}. This is usually temporary: try again later.")
                { StatusCode = code };
            case 401:
            case 403:
                var hint = secretsWithheld
                    ? " The request was redirected to another origin, so the headers and credential you gave were not sent there (they go to the origin you named only; -PreserveHeadersOnRedirect sends them everywhere). Use the final address directly if you trust it."
                    : " Check -Credential and the Authorization header, or whether you may access it. Nothing was lost: run the command again with -Resume once access works.";
                return new TransferException(TransferErrorKind.AccessDenied, $"{prefix}{where} refused access with {status}.{hint}")
                { StatusCode = code };
            case 404:
            case 410:
                return new TransferException(
                    TransferErrorKind.NotFound,
                    $"{prefix}{where} answered {status}: nothing is there (any more). Check the address.")
                { StatusCode = code };
            case 412:
                return new TransferException(
                    TransferErrorKind.RemoteChanged,
                    $"{prefix}{where} answered {status}: what is there changed since the transfer started. Run the command again (a download then starts over).")
                { StatusCode = code };
            case 413:
                return new TransferException(
                    TransferErrorKind.HttpError,
                    $"{prefix}{where} answered {status}: the request is larger than the server accepts. Use a smaller -ChunkSize, or check the server's size limit.")
                { StatusCode = code };
            default:
                return new TransferException(
                    TransferErrorKind.HttpError,
                    $"{prefix}{where} answered {status}, which is not what the transfer expects. Check the address, the protocol and the request headers.")
                { StatusCode = code };
        }
    }

    /// <summary>The exception for a request that failed before a response arrived (or while its body was read).</summary>
    public static TransferException FromTransport(Exception exception, Uri where)
    {
        if (exception is null)
        {
            throw new ArgumentNullException(nameof(exception));
        }

        var display = where is { IsAbsoluteUri: true } ? HttpOrigin.DisplayText(where) : "the server";
        if (FindInner<AuthenticationException>(exception) is not null)
        {
            // A certificate the machine does not trust stays untrusted on the next attempt.
            return new TransferException(
                TransferErrorKind.ConnectionFailed,
                $"The secure connection to {display} failed: {exception.Message} Check the server's certificate and the system clock.",
                exception);
        }

        return new TransientTransferException(
            TransferErrorKind.ConnectionFailed,
            $"The connection to {display} failed: {DescribeTransport(exception)}",
            exception);
    }

    /// <summary>True for the exceptions a broken or refused connection surfaces as (a full local disk is not one: retrying cannot fix it).</summary>
    public static bool IsTransport(Exception exception) =>
        exception is HttpRequestException || (exception is IOException && !DiskSpace.IsDiskFull(exception)) || IsUnparsableAnswer(exception);

    /// <summary>
    /// SocketsHttpHandler sometimes throws ArgumentOutOfRangeException from HttpConnection when a connection is cut
    /// inside the status line, instead of an HttpRequestException: it is the same broken answer, so it is retried.
    /// </summary>
    private static bool IsUnparsableAnswer(Exception exception) =>
        exception is ArgumentOutOfRangeException && exception.StackTrace?.IndexOf("System.Net.Http.HttpConnection", StringComparison.Ordinal) >= 0;

    private static string DescribeTransport(Exception exception)
    {
        var inner = exception.InnerException;
        return inner is null || inner.Message == exception.Message ? exception.Message : $"{exception.Message} ({inner.Message})";
    }

    private static T? FindInner<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T match)
            {
                return match;
            }
        }

        return null;
    }
}
