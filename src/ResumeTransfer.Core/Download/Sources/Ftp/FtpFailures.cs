using System;
using System.IO;
using System.Net.Sockets;
using System.Security.Authentication;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// What an FTP reply or a failed socket means for the transfer: 4xx replies (421, 425, 426, 450, 451...) and broken
/// connections are transient and retried; 530 is a refused login, 550 a missing file, other 5xx a server that does not
/// do what the download needs; a certificate the machine does not trust fails at once, as for HTTPS.
/// </summary>
internal static class FtpFailures
{
    /// <summary>The exception for <paramref name="reply"/>, an answer <paramref name="what"/> did not expect.</summary>
    /// <param name="reply">The server's reply.</param>
    /// <param name="what">What was done, e.g. "RETR pub/a.iso".</param>
    /// <param name="where">The address for the message (no credentials).</param>
    public static TransferException FromReply(FtpReply reply, string what, Uri where)
    {
        var code = reply.Code;
        return code switch
        {
            530 => new TransferException(
                TransferErrorKind.AccessDenied,
                $"{where} refused the login with {reply}. Check -Credential (no -Credential logs in as anonymous), or whether you may access it. Nothing was lost: run the command again with -Resume once access works.")
            { StatusCode = code },
            550 => new TransferException(
                TransferErrorKind.NotFound,
                $"{where} answered {what} with {reply}: there is no such file, or it may not be read. Check the address.")
            { StatusCode = code },
            >= 400 and < 500 => new TransientTransferException(
                TransferErrorKind.ConnectionFailed,
                $"{where} answered {what} with {reply}. This is usually temporary: try again later.")
            { StatusCode = code },
            _ => new TransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered {what} with {reply}, which is not what the download expects. Check the address and that the server is an FTP server.")
            { StatusCode = code },
        };
    }

    /// <summary>True for the exceptions a broken, refused or closed connection surfaces as.</summary>
    public static bool IsTransport(Exception exception) =>
        exception is IOException or SocketException or ObjectDisposedException or AuthenticationException or OperationCanceledException;

    /// <summary>
    /// The exception for a connection that failed: TLS trust failures are final (the next attempt meets the same
    /// certificate), everything else is retried.
    /// </summary>
    public static TransferException FromTransport(Exception exception, string what, Uri where)
    {
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is AuthenticationException)
            {
                return new TransferException(
                    TransferErrorKind.ConnectionFailed,
                    $"The secure connection to {where} failed: {exception.Message} Check the server's certificate (it must be trusted by this machine and name the host of the address) and the system clock.",
                    exception);
            }
        }

        return new TransientTransferException(TransferErrorKind.ConnectionFailed, $"The connection to {where} failed during {what}: {exception.Message}", exception);
    }

    /// <summary>The exception for a server that did not answer <paramref name="what"/> within the stall timeout.</summary>
    public static TransientTransferException Timeout(string what, TimeSpan timeout, Uri where) =>
        new(TransferErrorKind.TransferTimedOut, $"{where} did not answer {what} within {timeout.TotalSeconds:0.###} s.");
}
