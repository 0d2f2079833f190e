using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Authentication;

namespace ResumeTransfer.Core.Sources.Http;

/// <summary>
/// Turns HTTP statuses and transport errors into <see cref="TransferException"/>s: transient for what a retry may fix
/// (5xx, 408, 429, resets, refused connections), final for what it will not (4xx, TLS trust failures).
/// </summary>
internal static class HttpFailures
{
    public static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or (HttpStatusCode)308;

    /// <summary>The exception for a status that is not an answer to a ranged GET (anything but 200/206/416 and redirects).</summary>
    /// <param name="response">The response; only its headers are read.</param>
    /// <param name="where">The address that answered, in display form.</param>
    /// <param name="secretsWithheld">True when a redirect to another origin made us drop the credentials.</param>
    public static TransferException FromStatus(HttpResponseMessage response, Uri where, bool secretsWithheld)
    {
        var code = (int)response.StatusCode;
        var status = $"{code} ({response.ReasonPhrase})";
        switch (code)
        {
            case 429:
            case 503:
                var retryAfter = RetryAfterHeader.Read(response, DateTimeOffset.UtcNow);
                var wait = retryAfter is { } w ? $"; it asked to retry after {w.TotalSeconds:0} s" : string.Empty;
                return new TransientTransferException(
                    TransferErrorKind.HttpError,
                    $"The server at {where} is busy and answered {status}{wait}. Try again later.",
                    retryAfter: retryAfter)
                { StatusCode = code };
            case 408:
            case >= 500 and <= 599:
                return new TransientTransferException(
                    TransferErrorKind.HttpError,
                    $"The server at {where} answered {status}. This is usually temporary: try again later.")
                { StatusCode = code };
            case 401:
            case 403:
                var hint = secretsWithheld
                    ? " The request was redirected to another origin, so the credential and the Authorization and Cookie headers were not sent there (they go to the original origin only). Use the final address directly if you trust it."
                    : " Check -Credential and the Authorization header, or whether you may access this file.";
                return new TransferException(TransferErrorKind.AccessDenied, $"The server at {where} refused access with {status}.{hint}")
                { StatusCode = code };
            case 404:
            case 410:
                return new TransferException(TransferErrorKind.NotFound, $"The server at {where} answered {status}: the file does not exist there. Check the address.")
                { StatusCode = code };
            case 412:
                return new TransferException(
                    TransferErrorKind.RemoteChanged,
                    $"The server at {where} answered {status}: the file changed since the download started. Download it again from the start.")
                { StatusCode = code };
            default:
                return new TransferException(
                    TransferErrorKind.HttpError,
                    $"The server at {where} answered {status}, which is not a download. Check the address and the request headers.")
                { StatusCode = code };
        }
    }

    /// <summary>The exception for a request that failed before a response arrived (or while its body was read).</summary>
    public static TransferException FromTransport(Exception exception, Uri where)
    {
        if (FindInner<AuthenticationException>(exception) is not null)
        {
            // A certificate the machine does not trust stays untrusted on the next attempt.
            return new TransferException(
                TransferErrorKind.ConnectionFailed,
                $"The secure connection to {where} failed: {exception.Message} Check the server's certificate and the system clock.",
                exception);
        }

        return new TransientTransferException(
            TransferErrorKind.ConnectionFailed,
            $"The connection to {where} failed: {DescribeTransport(exception)}",
            exception);
    }

    /// <summary>True for the exceptions a broken or refused connection surfaces as.</summary>
    public static bool IsTransport(Exception exception) => exception is HttpRequestException or IOException;

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
