using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// A response body that cannot end quietly short. It counts bytes and throws <see cref="TransientTransferException"/>
/// when the body ends before the promised length, when the connection breaks (reset, chunked body without its final
/// chunk), when more bytes come than promised, or when no byte arrives for the stall timeout. So a caller that reads
/// to the end without an exception has every byte. It owns and disposes the response.
/// </summary>
/// <remarks>
/// The stall watchdog is one <see cref="StallWatchdog"/> per body (the one both directions use, on the injected
/// clock), linked to the token the body was opened with, armed before each read and disarmed after it (time the caller
/// spends writing is not a stall), so reading allocates nothing. When it fires it also disposes the response: that is
/// what interrupts a synchronous read, or an async read on a stack that ignores cancellation.
/// </remarks>
internal sealed class ValidatedBodyStream : ReadOnlyStream
{
    private readonly IDisposable response;
    private readonly Stream inner;
    private readonly long? expectedLength;
    private readonly CancellationToken openToken;
    private readonly Uri source;
    private readonly StallWatchdog watchdog;
    private long bytesRead;
    private int disposed;

    /// <param name="response">The response whose body this is (an HttpResponseMessage, or the S3 SDK's GetObjectResponse); disposed with the stream.</param>
    /// <param name="inner">The response's content stream.</param>
    /// <param name="expectedLength">Bytes the response promised (range size or Content-Length), when known.</param>
    /// <param name="stallTimeout">Longest wait for a byte; zero or less waits forever.</param>
    /// <param name="time">The clock the stall timeout runs on.</param>
    /// <param name="openToken">The token the body was opened with: cancelling it also cancels reads.</param>
    /// <param name="source">Address for messages, in display form.</param>
    public ValidatedBodyStream(IDisposable response, Stream inner, long? expectedLength, TimeSpan stallTimeout, TimeProvider time, CancellationToken openToken, Uri source)
    {
        this.response = response;
        this.inner = inner;
        this.expectedLength = expectedLength;
        this.openToken = openToken;
        this.source = source;
        watchdog = new StallWatchdog(time, stallTimeout, openToken, armed: false);
        watchdog.Token.Register(static state => ((ValidatedBodyStream)state!).Abort(), this);
    }

    /// <summary>Bytes read so far.</summary>
    public long BytesRead => Interlocked.Read(ref bytesRead);

    public override long Position
    {
        get => BytesRead;
        set => throw new NotSupportedException();
    }

    /// <summary>True once the watchdog fired without anyone cancelling: the server went silent.</summary>
    private bool Stalled => watchdog.Fired && !openToken.IsCancellationRequested;

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateArguments(buffer, offset, count);
        Arm(CancellationToken.None);
        int read;
        try
        {
            read = inner.Read(buffer, offset, count);
        }
        catch (Exception ex) when (Translate(ex, CancellationToken.None) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Disarm();
        }

        return Account(read, count);
    }

#if NET
    public override int Read(Span<byte> buffer)
    {
        Arm(CancellationToken.None);
        int read;
        try
        {
            read = inner.Read(buffer);
        }
        catch (Exception ex) when (Translate(ex, CancellationToken.None) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Disarm();
        }

        return Account(read, buffer.Length);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var token = Arm(cancellationToken, out var perRead);
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Disarm();
            perRead?.Dispose();
        }

        return Account(read, buffer.Length);
    }
#else
    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateArguments(buffer, offset, count);
        var token = Arm(cancellationToken, out var perRead);
        int read;
        try
        {
            read = await inner.ReadAsync(buffer, offset, count, token).ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, cancellationToken) is { } translated)
        {
            throw translated;
        }
        finally
        {
            Disarm();
            perRead?.Dispose();
        }

        return Account(read, count);
    }
#endif

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref disposed, 1) == 0)
        {
            watchdog.Dispose();
            response.Dispose();
        }

        base.Dispose(disposing);
    }

    private static void ValidateArguments(byte[] buffer, int offset, int count)
    {
        if (buffer is null)
        {
            throw new ArgumentNullException(nameof(buffer));
        }

        if (offset < 0 || count < 0 || count > buffer.Length - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }
    }

    private void Arm(CancellationToken callerToken) => Arm(callerToken, out _);

    /// <summary>Starts the stall timer; returns the token the inner read should observe.</summary>
    private CancellationToken Arm(CancellationToken callerToken, out CancellationTokenSource? perRead)
    {
        perRead = null;
        callerToken.ThrowIfCancellationRequested();
        if (Volatile.Read(ref disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(ValidatedBodyStream));
        }

        openToken.ThrowIfCancellationRequested();
        if (Stalled)
        {
            throw StallException(null);
        }

        watchdog.Arm();
        if (!callerToken.CanBeCanceled || callerToken == openToken)
        {
            return watchdog.Token;
        }

        // Only when reads carry another token than the body was opened with; the usual caller passes the same one.
        perRead = CancellationTokenSource.CreateLinkedTokenSource(watchdog.Token, callerToken);
        return perRead.Token;
    }

    // Disposed by another thread while reading, the watchdog ignores this: the read has failed or will fail on its own.
    private void Disarm() => watchdog.Disarm();

    private int Account(int read, int requested)
    {
        if (read > 0)
        {
            var total = Interlocked.Add(ref bytesRead, read);
            if (expectedLength is { } promised && total > promised)
            {
                throw new TransientTransferException(
                    TransferErrorKind.ProtocolViolation,
                    $"{source} sent more than the {promised} bytes it announced; the extra bytes are not trusted.");
            }

            return read;
        }

        if (requested > 0 && expectedLength is { } expected && bytesRead < expected)
        {
            throw new TransientTransferException(
                TransferErrorKind.ConnectionFailed,
                $"The connection to {source} ended after {bytesRead} of {expected} bytes of the response.");
        }

        return read;
    }

    /// <summary>What a failed read means; null to let the exception through unchanged.</summary>
    private Exception? Translate(Exception exception, CancellationToken callerToken)
    {
        if (exception is TransferException || (exception is ObjectDisposedException && Volatile.Read(ref disposed) != 0))
        {
            return null;
        }

        if (callerToken.IsCancellationRequested)
        {
            // Reported with the caller's token, not the internal one the inner read observed.
            return exception is OperationCanceledException oce && oce.CancellationToken == callerToken
                ? null
                : new OperationCanceledException("The read was cancelled.", exception, callerToken);
        }

        if (openToken.IsCancellationRequested)
        {
            return exception is OperationCanceledException oce2 && oce2.CancellationToken == openToken
                ? null
                : new OperationCanceledException("The read was cancelled.", exception, openToken);
        }

        if (Stalled)
        {
            return StallException(exception);
        }

        if (HttpFailures.IsTransport(exception) || exception is OperationCanceledException or ObjectDisposedException)
        {
            return new TransientTransferException(
                TransferErrorKind.ConnectionFailed,
                $"The connection to {source} broke after {BytesRead} bytes of the response: {exception.Message}",
                exception);
        }

        return null;
    }

    private TransientTransferException StallException(Exception? inner) =>
        new(
            TransferErrorKind.TransferTimedOut,
            $"{source} sent no data for {watchdog.Timeout.TotalSeconds:0.###} s after {BytesRead} bytes of the response.",
            inner);

    private void Abort()
    {
        // Runs on the timer's or the canceller's thread. Disposing the response breaks the connection under a
        // blocked read; the reader then sees the failure and Translate says why.
        try
        {
            response.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or HttpRequestException)
        {
        }
    }
}
