using System;
using System.Net.Http;
using ResumeTransfer.Core.Sources.Http;

namespace ResumeTransfer.Core.Upload;

/// <summary>Turns the HTTP answers of upload servers into <see cref="TransferException"/>s with upload wording.</summary>
public static class UploadHttpFailures
{
    /// <summary>The exception for an unexpected status: transient for 408/429/5xx (with Retry-After), final otherwise.</summary>
    /// <param name="response">The response; only its status and headers are read.</param>
    /// <param name="what">What was being done, e.g. "Creating the tus upload".</param>
    public static TransferException FromStatus(HttpResponseMessage response, string what)
    {
        var code = (int)response.StatusCode;
        var where = response.RequestMessage?.RequestUri is { } uri ? HttpOrigin.ForDisplay(uri).ToString() : "the server";
        var status = $"{code} ({response.ReasonPhrase})";
        switch (code)
        {
            case 429:
            case 503:
                var retryAfter = RetryAfterHeader.Read(response, DateTimeOffset.UtcNow);
                return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: {where} is busy and answered {status}. Try again later.", retryAfter: retryAfter)
                { StatusCode = code };
            case 408:
            case >= 500 and <= 599:
                return new TransientTransferException(TransferErrorKind.HttpError, $"{what}: {where} answered {status}. This is usually temporary: try again later.")
                { StatusCode = code };
            case 401:
            case 403:
                return new TransferException(TransferErrorKind.AccessDenied, $"{what}: {where} refused access with {status}. Check -Credential and the Authorization header. Nothing was lost: run the command again with -Resume once access works.")
                { StatusCode = code };
            case 404:
            case 410:
                return new TransferException(TransferErrorKind.NotFound, $"{what}: {where} answered {status}. Check the address; an upload that expired on the server is started anew by running the command again with -Resume.")
                { StatusCode = code };
            case 413:
                return new TransferException(TransferErrorKind.HttpError, $"{what}: {where} answered {status}: the file or a chunk is larger than the server accepts. Use a smaller -ChunkSize, or check the server's size limit.")
                { StatusCode = code };
            default:
                return new TransferException(TransferErrorKind.HttpError, $"{what}: {where} answered {status}. Check the address, the protocol (-Protocol) and the request headers.")
                { StatusCode = code };
        }
    }

    /// <summary>The exception for a request that failed before an answer arrived: transient (a retry may reach the server).</summary>
    public static TransferException FromTransport(Exception exception, Uri where) => HttpFailures.FromTransport(exception, HttpOrigin.ForDisplay(where));

    /// <summary>True for the exceptions a broken or refused connection surfaces as.</summary>
    public static bool IsTransport(Exception exception) => HttpFailures.IsTransport(exception);
}
