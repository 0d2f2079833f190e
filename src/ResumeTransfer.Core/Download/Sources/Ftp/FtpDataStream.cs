using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// The data connection of one RETR as a body that cannot end quietly short: it stops at the range's end (the rest of
/// the file is not read), throws <see cref="TransientTransferException"/> when the connection ends early, breaks, or
/// sends nothing for the stall timeout, and, when the length is unknown, trusts the end of the data only once the
/// server confirmed the transfer (226). On dispose the control connection goes back to the pool: after the 226 when
/// the file was read to its end, else after ABOR (and a NOOP that marks the end of the replies ABOR causes: servers
/// answer 426 then 226, or only 225 or 226, when the transfer had ended already).
/// </summary>
internal sealed class FtpDataStream : ReadOnlyStream
{
    /// <summary>How long a data connection that ended early waits for the server's reply about it.</summary>
    private static readonly TimeSpan ReplyGrace = TimeSpan.FromSeconds(2);

    private readonly FtpControlConnection control;
    private readonly FtpConnectionPool pool;
    private readonly Stream data;
    private readonly long? limit;
    private readonly bool limitIsFileEnd;
    private readonly TimeSpan stallTimeout;
    private readonly CancellationToken openToken;
    private readonly Uri where;
    private readonly StallWatchdog watchdog;
    private IDisposable? handshakeTurn;
    private long bytesRead;
    private bool confirmed;
    private bool broken;
    private int disposed;

    /// <param name="control">The control connection the RETR was sent on; owned from here on.</param>
    /// <param name="pool">Where the control connection goes back to.</param>
    /// <param name="data">The open data connection.</param>
    /// <param name="handshakeTurn">The TLS handshake gate's turn, released after the first read (null for plain ftp).</param>
    /// <param name="limit">Bytes to read (the range), or null for all of them (the length is unknown).</param>
    /// <param name="limitIsFileEnd">True when the range ends where the file does (the server then ends the data itself).</param>
    /// <param name="stallTimeout">Longest wait for a byte.</param>
    /// <param name="time">The stall timeout's clock.</param>
    /// <param name="openToken">Cancels reads too.</param>
    /// <param name="where">The address for messages.</param>
    public FtpDataStream(FtpControlConnection control, FtpConnectionPool pool, Stream data, IDisposable? handshakeTurn, long? limit, bool limitIsFileEnd, TimeSpan stallTimeout, TimeProvider time, CancellationToken openToken, Uri where)
    {
        this.control = control;
        this.pool = pool;
        this.data = data;
        this.handshakeTurn = handshakeTurn;
        this.limit = limit;
        this.limitIsFileEnd = limitIsFileEnd;
        this.stallTimeout = stallTimeout;
        this.openToken = openToken;
        this.where = where;
        watchdog = new StallWatchdog(time, stallTimeout, openToken, armed: false);
        watchdog.Token.Register(static s => ((Stream)s!).Dispose(), data);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        if (buffer is null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        if (offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        if (Volatile.Read(ref disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(FtpDataStream));
        }

        if (limit is { } cap)
        {
            if (bytesRead >= cap || count == 0)
            {
                return 0;
            }

            count = (int)Math.Min(count, cap - bytesRead);
        }
        else if (confirmed || count == 0)
        {
            return 0;
        }

        int read;
        // The engine reads with the token the range was opened with, which the watchdog already follows: no linked
        // source per read then.
        var own = !cancellationToken.CanBeCanceled || cancellationToken == openToken;
        using (var linked = own ? null : CancellationTokenSource.CreateLinkedTokenSource(watchdog.Token, cancellationToken))
        {
            watchdog.Arm();
            try
            {
                read = await data.ReadAsync(buffer, offset, count, linked?.Token ?? watchdog.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not TransferException && FtpFailures.IsTransport(ex))
            {
                broken = true;
                cancellationToken.ThrowIfCancellationRequested();
                openToken.ThrowIfCancellationRequested();
                throw watchdog.Fired
                    ? new TransientTransferException(TransferErrorKind.TransferTimedOut, $"{where} sent no data for {stallTimeout.TotalSeconds:0.###} s after {bytesRead} bytes of the range.", ex)
                    : new TransientTransferException(TransferErrorKind.ConnectionFailed, $"The data connection to {where} broke after {bytesRead} bytes of the range: {ex.Message}", ex);
            }
            finally
            {
                watchdog.Disarm();
                ReleaseHandshakeTurn();
            }
        }

        if (read > 0)
        {
            bytesRead += read;
            if (limitIsFileEnd && limit is { } fileEnd && bytesRead == fileEnd)
            {
                // The last bytes go to the caller only once the server has ended the data right here and confirmed it:
                // a file still being written (a drop box) or rewritten in place sends more than SIZE said, and
                // handing over SIZE bytes of it would finish a download of a version that never existed whole.
                await ConfirmFileEndAsync(cancellationToken).ConfigureAwait(false);
            }

            return read;
        }

        if (limit is { } promised && bytesRead < promised)
        {
            broken = true;
            throw await EndedEarlyAsync(promised, cancellationToken).ConfigureAwait(false);
        }

        await ConfirmAsync(cancellationToken).ConfigureAwait(false);
        return 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
        {
            ReleaseHandshakeTurn();
            watchdog.Dispose();
            var complete = confirmed || (limit is { } cap && bytesRead == cap && limitIsFileEnd);
            if (broken)
            {
                data.Dispose();
                pool.Discard(control);
            }
            else
            {
                // In the background: the worker goes on with its next range while this connection is made ready.
                _ = RecycleAsync(complete && !confirmed, complete);
            }
        }

        base.Dispose(disposing);
    }

    private void ReleaseHandshakeTurn() => Interlocked.Exchange(ref handshakeTurn, null)?.Dispose();

    /// <summary>At the file's end by SIZE: no byte may follow, and the server must confirm the transfer.</summary>
    private async Task ConfirmFileEndAsync(CancellationToken cancellationToken)
    {
        int extra;
        watchdog.Arm();
        try
        {
            extra = await data.ReadAsync(new byte[1], 0, 1, watchdog.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not TransferException && FtpFailures.IsTransport(ex))
        {
            broken = true;
            cancellationToken.ThrowIfCancellationRequested();
            openToken.ThrowIfCancellationRequested();
            throw new TransientTransferException(TransferErrorKind.ConnectionFailed, $"The data connection to {where} broke at the file's end, before the server confirmed it: {ex.Message}", ex);
        }
        finally
        {
            watchdog.Disarm();
        }

        if (extra != 0)
        {
            broken = true;
            throw new StartOverException(
                StartOverReason.RemoteChanged,
                $"{where} sent more than the {limit} bytes SIZE gave: the file grew or changed during the download.",
                newIdentity: null);
        }

        await ConfirmAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The end of the data: the server must confirm the transfer (226/250) before it counts as complete.</summary>
    private async Task ConfirmAsync(CancellationToken cancellationToken)
    {
        FtpReply reply;
        try
        {
            reply = await control.ReadReplyAsync("RETR", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            broken = true;
            throw;
        }

        if (reply.Code is not (226 or 250))
        {
            broken = true;
            throw FtpFailures.FromReply(reply, "RETR", where) is TransientTransferException transient
                ? transient
                : new TransientTransferException(TransferErrorKind.ConnectionFailed, $"{where} ended the transfer with {reply} after {bytesRead} bytes.");
        }

        confirmed = true;
    }

    /// <summary>
    /// Closes the data connection before its end. A TLS one says so first (close_notify): OpenSSL forgets a session
    /// whose connection was dropped without it, and the next data connection could then not resume it.
    /// </summary>
    private async Task CloseDataAsync(CancellationToken cancellationToken)
    {
#if NET
        if (data is System.Net.Security.SslStream tls)
        {
            try
            {
                await tls.ShutdownAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (FtpFailures.IsTransport(ex) || ex is System.Security.Authentication.AuthenticationException)
            {
                // The connection is being dropped anyway.
            }
        }
#else
        await Task.CompletedTask.ConfigureAwait(false);
#endif
        data.Dispose();
    }

    /// <summary>
    /// The data ended before the range did: what the server said about it, when it says something soon (a 426, or the
    /// 425 or 522 of a server that requires TLS session reuse, which no retry fixes).
    /// </summary>
    private async Task<TransferException> EndedEarlyAsync(long promised, CancellationToken cancellationToken)
    {
        var message = $"The data connection to {where} ended after {bytesRead} of {promised} bytes of the range";
        FtpReply? reply = null;
        try
        {
            using var soon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            soon.CancelAfter(ReplyGrace);
            reply = await control.ReadReplyAsync("RETR", soon.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TransferException || FtpFailures.IsTransport(ex))
        {
            // Nothing said: the connection broke.
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (reply is { Code: 425 or 522 } refusal && refusal.Message.IndexOf("session", StringComparison.OrdinalIgnoreCase) >= 0 && control.Secure)
        {
            return new TransferException(
                TransferErrorKind.ConnectionFailed,
                $"{where} refused the encrypted data connection with {refusal}: it requires the data connection to resume the control connection's TLS session. " +
                ".NET resumes TLS sessions only to a host name: use the server's name in the address instead of its IP address.")
            { StatusCode = refusal.Code };
        }

        return new TransientTransferException(TransferErrorKind.ConnectionFailed, reply is null ? message + "." : $"{message}; the server said {reply}.")
        {
            StatusCode = reply?.Code,
        };
    }

    /// <summary>Makes the control connection ready for the next command, or closes it when that fails.</summary>
    /// <param name="drain">True when every byte to the file's end was read but the server's 226 is still unread.</param>
    /// <param name="complete">True when no ABOR is needed.</param>
    private async Task RecycleAsync(bool drain, bool complete)
    {
        try
        {
            using var bounded = new CancellationTokenSource(stallTimeout > TimeSpan.Zero ? stallTimeout : TimeSpan.FromSeconds(30));
            // .NET Framework's socket and TLS reads ignore their token once started: closing the stream ends them.
            using var closeOnTimeout = bounded.Token.Register(static s => ((Stream)s!).Dispose(), data);
            if (drain)
            {
                var rest = new byte[1];
                var extra = await data.ReadAsync(rest, 0, 1, bounded.Token).ConfigureAwait(false);
                data.Dispose();
                var reply = await control.ReadReplyAsync("RETR", bounded.Token).ConfigureAwait(false);
                if (extra != 0 || reply.Code is not (226 or 250))
                {
                    pool.Discard(control);
                    return;
                }
            }
            else if (!complete)
            {
                // Closing the data connection first ends the server's send even where ABOR is only read between
                // transfers; the NOOP's 200 then marks the last of the replies the RETR and the ABOR caused.
                await CloseDataAsync(bounded.Token).ConfigureAwait(false);
                await control.WriteAsync("ABOR", bounded.Token).ConfigureAwait(false);
                await control.WriteAsync("NOOP", bounded.Token).ConfigureAwait(false);
                for (var replies = 0; ; replies++)
                {
                    var reply = await control.ReadReplyAsync("ABOR", bounded.Token).ConfigureAwait(false);
                    if (reply.Code == 200)
                    {
                        break;
                    }

                    if (replies >= 4 || reply.Code is not (225 or 226 or 426 or 450 or 451 or 550 or 551))
                    {
                        pool.Discard(control);
                        return;
                    }
                }
            }
            else
            {
                data.Dispose();
            }

            pool.Return(control);
        }
        catch (Exception)
        {
            // Nobody awaits this: whatever went wrong, the connection is closed and its slot freed, or the pool would
            // wait for it for ever.
            data.Dispose();
            pool.Discard(control);
        }
    }
}
