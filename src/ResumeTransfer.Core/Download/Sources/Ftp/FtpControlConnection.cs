using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// One logged-in FTP control connection: greeting, AUTH TLS for ftps, USER/PASS, PBSZ 0 and PROT P, FEAT, TYPE I;
/// then the few commands a download needs (SIZE, MDTM, HASH/XSHA256, EPSV or PASV, REST, RETR, ABOR, NOOP). Every wait
/// for a reply or a connection is bounded by the stall timeout; a timeout or a broken connection leaves it unusable
/// (the caller disposes it). Not thread-safe: one command sequence at a time, which the pool guarantees.
/// </summary>
internal sealed class FtpControlConnection : IDisposable
{
    /// <summary>The slowest hashing a server is given time for (a busy disk).</summary>
    public const long ServerHashBytesPerSecond = 20L * 1024 * 1024;

    private static readonly Encoding CommandText = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    private readonly FtpAddress address;
    private readonly TimeSpan timeout;
    private readonly TimeProvider time;
    private readonly Socket socket;
    private readonly RemoteCertificateValidationCallback? certificateCheck;
    private readonly FtpTlsHandshakeGate handshakes;
    private Stream stream;
    private FtpReplyReader reader;
    private bool epsvRefused;
    private int disposed;

    private FtpControlConnection(FtpAddress address, TimeSpan timeout, TimeProvider time, Socket socket, RemoteCertificateValidationCallback? certificateCheck, FtpTlsHandshakeGate handshakes)
    {
        this.handshakes = handshakes;
        this.certificateCheck = certificateCheck;
        this.address = address;
        this.timeout = timeout;
        this.time = time;
        this.socket = socket;
        stream = new NetworkStream(socket, ownsSocket: true);
        reader = new FtpReplyReader(stream);
    }

    /// <summary>What FEAT offered.</summary>
    public FtpFeatures Features { get; private set; } = FtpFeatures.Unknown;

    /// <summary>True when the data connections are encrypted (PROT P).</summary>
    public bool Secure => address.Secure;

    private Uri Where => address.Display;

    /// <summary>Connects and logs in (anonymous when <paramref name="credential"/> is null).</summary>
    /// <exception cref="TransferException">
    /// With <see cref="TransferException.StatusCode"/> 421 or 530 when the server refused the connection or the login,
    /// which the pool reads to tell a refused extra connection from a failed first one.
    /// </exception>
    /// <param name="address">Where to connect.</param>
    /// <param name="credential">The login; null for anonymous.</param>
    /// <param name="timeout">The stall timeout: the longest wait for a reply or a connection.</param>
    /// <param name="time">The timeout's clock.</param>
    /// <param name="certificateCheck">Replaces the system's certificate validation (tests only: trusting a test certificate); null outside tests.</param>
    /// <param name="handshakes">The download's TLS handshake gate, shared by all its connections.</param>
    /// <param name="cancellationToken">Stops the login.</param>
    public static async Task<FtpControlConnection> OpenAsync(FtpAddress address, NetworkCredential? credential, TimeSpan timeout, TimeProvider time, RemoteCertificateValidationCallback? certificateCheck, FtpTlsHandshakeGate handshakes, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        FtpControlConnection? connection = null;
        try
        {
            await Bounded("connecting", timeout, time, address.Display, socket, token => ConnectAsync(socket, address, token), cancellationToken).ConfigureAwait(false);
            connection = new FtpControlConnection(address, timeout, time, socket, certificateCheck, handshakes);
            await connection.LoginAsync(credential, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Dispose();
            }

            throw;
        }
    }

    /// <summary>Sends one command and reads its reply (the first one: a 1xx is returned as it is).</summary>
    /// <param name="command">The command line without CRLF.</param>
    /// <param name="shown">What messages call it (the command without its secret for PASS).</param>
    /// <param name="cancellationToken">Stops the wait.</param>
    public Task<FtpReply> SendAsync(string command, string? shown, CancellationToken cancellationToken) =>
        SendAsync(command, shown, timeout, cancellationToken);

    /// <summary>Sends one command and waits up to <paramref name="replyTimeout"/> for its reply (a server hashing a file needs longer).</summary>
    public async Task<FtpReply> SendAsync(string command, string? shown, TimeSpan replyTimeout, CancellationToken cancellationToken)
    {
        var bytes = CommandText.GetBytes(command + "\r\n");
        return await BoundedOwn(shown ?? command, replyTimeout, async token =>
        {
            await stream.WriteAsync(bytes, 0, bytes.Length, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            return await reader.ReadAsync(token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a command without reading its reply (ABOR followed by a marker).</summary>
    public Task WriteAsync(string command, CancellationToken cancellationToken)
    {
        var bytes = CommandText.GetBytes(command + "\r\n");
        return BoundedOwn(command, timeout, async token =>
        {
            await stream.WriteAsync(bytes, 0, bytes.Length, token).ConfigureAwait(false);
            await stream.FlushAsync(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <summary>Reads the next reply (the final answer after a 1xx).</summary>
    public Task<FtpReply> ReadReplyAsync(string what, CancellationToken cancellationToken) =>
        BoundedOwn(what, timeout, token => reader.ReadAsync(token), cancellationToken);

    /// <summary>SIZE in bytes (binary type); null when the server does not do SIZE.</summary>
    public async Task<long?> SizeAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await SendAsync("SIZE " + path, null, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 213 && long.TryParse(reply.Message, NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            return size;
        }

        return IsUnsupported(reply) ? null : throw FtpFailures.FromReply(reply, "SIZE " + path, Where);
    }

    /// <summary>MDTM (RFC 3659: UTC, <c>YYYYMMDDHHMMSS[.sss]</c>); null when the server does not do MDTM.</summary>
    public async Task<DateTimeOffset?> ModifiedAsync(string path, CancellationToken cancellationToken)
    {
        var reply = await SendAsync("MDTM " + path, null, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 213)
        {
            return FtpTime.Parse(reply.Message) ?? throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{Where} answered MDTM with '{reply.Message}', which is not a time of the form YYYYMMDDHHMMSS.");
        }

        return IsUnsupported(reply) ? null : throw FtpFailures.FromReply(reply, "MDTM " + path, Where);
    }

    /// <summary>
    /// The file's SHA-256 as the server computes it (HASH, else XSHA256, whichever FEAT offers), lower-case hex; null
    /// when it offers neither or the answer is not a SHA-256. The server reads the whole file first: the reply may
    /// take the stall timeout plus a second per <see cref="ServerHashBytesPerSecond"/> bytes of <paramref name="size"/>.
    /// </summary>
    public async Task<string?> Sha256Async(string path, long? size, CancellationToken cancellationToken)
    {
        var hashTimeout = timeout + TimeSpan.FromSeconds((size ?? 0) / (double)ServerHashBytesPerSecond);
        if (Features.HashSha256)
        {
            var select = await SendAsync("OPTS HASH SHA-256", null, cancellationToken).ConfigureAwait(false);
            if (select.IsCompletion)
            {
                // "213 SHA-256 0-49 <hex> <path>"
                var reply = await SendAsync("HASH " + path, null, hashTimeout, cancellationToken).ConfigureAwait(false);
                var words = reply.Message.Split(' ');
                return reply.Code == 213 && words.Length >= 3 && string.Equals(words[0], "SHA-256", StringComparison.OrdinalIgnoreCase)
                    ? Sha256Hex(words[2])
                    : HashFailure(reply, "HASH " + path);
            }
        }

        if (Features.XSha256)
        {
            // "213 <hex>" (ProFTPD's mod_digest adds the path after it)
            var reply = await SendAsync("XSHA256 " + path, null, hashTimeout, cancellationToken).ConfigureAwait(false);
            return reply.Code == 213 ? Sha256Hex(reply.Message.Split(' ')[0]) : HashFailure(reply, "XSHA256 " + path);
        }

        return null;
    }

    /// <summary>
    /// Opens a passive data connection: EPSV (RFC 2428), or PASV when the server refuses EPSV. Always to the address of
    /// the control connection (a PASV answer's own address is ignored: behind NAT it is often private, and following it
    /// would let a server aim us elsewhere).
    /// </summary>
    public async Task<Socket> OpenDataAsync(CancellationToken cancellationToken)
    {
        int? port = null;
        if (!epsvRefused)
        {
            var reply = await SendAsync("EPSV", null, cancellationToken).ConfigureAwait(false);
            if (reply.Code == 229)
            {
                port = FtpPassiveReply.ParseExtended(reply.Message);
            }
            else if (reply.Code >= 500)
            {
                epsvRefused = true;
            }
            else
            {
                throw FtpFailures.FromReply(reply, "EPSV", Where);
            }
        }

        if (port is null)
        {
            var reply = await SendAsync("PASV", null, cancellationToken).ConfigureAwait(false);
            port = reply.Code == 227 ? FtpPassiveReply.ParsePassive(reply.Message) : throw FtpFailures.FromReply(reply, "PASV", Where);
        }

        if (port is not ({ } p and > 0 and < 65536))
        {
            throw new TransientTransferException(TransferErrorKind.ProtocolViolation, $"{Where} announced a passive data port that cannot be used.");
        }

        var remote = ((IPEndPoint)socket.RemoteEndPoint!).Address;
        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4(); // the control socket is dual-mode; the data socket is made for the one family
        }

        var data = new Socket(remote.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await Bounded("opening the data connection", timeout, time, Where, data, _ => data.ConnectAsync(remote, p), cancellationToken).ConfigureAwait(false);
            return data;
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The data connection's stream, encrypted (resuming the TLS session) for ftps. The returned turn of the handshake
    /// gate (null for plain ftp) is to be disposed after the stream's first read.
    /// </summary>
    public async Task<(Stream Stream, IDisposable? Turn)> DataStreamAsync(Socket data, CancellationToken cancellationToken)
    {
        var network = new NetworkStream(data, ownsSocket: true);
        if (!Secure)
        {
            return (network, null);
        }

        var tls = new SslStream(network, leaveInnerStreamOpen: false, certificateCheck);
        IDisposable? turn = null;
        try
        {
            turn = await handshakes.EnterAsync(cancellationToken).ConfigureAwait(false);
            await Bounded("the TLS handshake of the data connection", timeout, time, Where, data, token => AuthenticateAsync(tls, token), cancellationToken).ConfigureAwait(false);
            return (tls, turn);
        }
        catch
        {
            turn?.Dispose();
            tls.Dispose();
            throw;
        }
    }

    /// <summary>Says goodbye (QUIT, without waiting for the answer) and closes: for connections that are idle and in order.</summary>
    public void Quit()
    {
        if (Volatile.Read(ref disposed) == 0)
        {
            try
            {
                // Synchronous and tiny: it goes into the socket's send buffer at once.
                var bytes = CommandText.GetBytes("QUIT\r\n");
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }
            catch (Exception ex) when (FtpFailures.IsTransport(ex))
            {
                // Closing anyway.
            }
        }

        Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            stream.Dispose();
            socket.Dispose();
        }
    }

    private static bool IsUnsupported(FtpReply reply) => reply.Code is 500 or 501 or 502 or 504;

    private static string? Sha256Hex(string text)
    {
        var hex = text.Trim().ToLowerInvariant();
        if (hex.Length != 64)
        {
            return null;
        }

        foreach (var c in hex)
        {
            if (!Uri.IsHexDigit(c))
            {
                return null;
            }
        }

        return hex;
    }

    /// <summary>
    /// Runs one wait on <paramref name="socket"/> within the stall timeout. Expiry disposes the socket (that is what
    /// interrupts a wait on frameworks whose socket calls ignore cancellation) and becomes a transient timeout;
    /// transport failures are translated; the caller's cancellation stays a cancellation.
    /// </summary>
    /// <summary>Resolves and connects; on .NET the name lookup too follows the timeout and Ctrl+C (disposing the socket does not stop it).</summary>
    private static Task ConnectAsync(Socket socket, FtpAddress address, CancellationToken cancellationToken) =>
#if NET
        socket.ConnectAsync(address.Host, address.Port, cancellationToken).AsTask();
#else
        socket.ConnectAsync(address.Host, address.Port);
#endif

    private static async Task<T> Bounded<T>(string what, TimeSpan timeout, TimeProvider time, Uri where, Socket socket, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var watchdog = new StallWatchdog(time, timeout, cancellationToken, armed: true);
        using var abort = watchdog.Token.Register(static s => ((Socket)s!).Dispose(), socket);
        try
        {
            return await operation(watchdog.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not TransferException && !cancellationToken.IsCancellationRequested && (watchdog.Fired || FtpFailures.IsTransport(ex)))
        {
            throw watchdog.Fired ? FtpFailures.Timeout(what, timeout, where) : FtpFailures.FromTransport(ex, what, where);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The FTP request was cancelled.", ex, cancellationToken);
        }
    }

    private static Task Bounded(string what, TimeSpan timeout, TimeProvider time, Uri where, Socket socket, Func<CancellationToken, Task> operation, CancellationToken cancellationToken) =>
        Bounded(what, timeout, time, where, socket, async token =>
        {
            await operation(token).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    private Task<T> BoundedOwn<T>(string what, TimeSpan limit, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken) =>
        Bounded(what, limit, time, Where, socket, async token =>
        {
            try
            {
                return await operation(token).ConfigureAwait(false);
            }
            catch (EndOfStreamException ex)
            {
                throw new IOException($"the server closed the control connection ({ex.Message})", ex);
            }
        }, cancellationToken);

    private string? HashFailure(FtpReply reply, string what) =>
        reply.Code == 550 ? throw FtpFailures.FromReply(reply, what, Where) : null;

    private async Task LoginAsync(NetworkCredential? credential, CancellationToken cancellationToken)
    {
        var greeting = await ReadReplyAsync("the greeting", cancellationToken).ConfigureAwait(false);
        if (greeting.Code == 120)
        {
            greeting = await ReadReplyAsync("the greeting", cancellationToken).ConfigureAwait(false);
        }

        if (greeting.Code != 220)
        {
            throw FtpFailures.FromReply(greeting, "the connection", Where);
        }

        FtpReply reply;
        var user = credential?.UserName is { Length: > 0 } name ? name : "anonymous";
        if (Secure)
        {
            // The reply to USER is the first read after the handshake: it stores the server's new session tickets.
            using (await StartTlsAsync(cancellationToken).ConfigureAwait(false))
            {
                reply = await SendAsync("USER " + user, null, cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            reply = await SendAsync("USER " + user, null, cancellationToken).ConfigureAwait(false);
        }

        if (reply.Code == 331)
        {
            // The customary anonymous password is an e-mail address; any text is accepted.
            var password = credential is null ? "anonymous@" : credential.Password;
            reply = await SendAsync("PASS " + password, "PASS", cancellationToken).ConfigureAwait(false);
        }

        if (reply.Code is not (230 or 202))
        {
            throw reply.Code == 332
                ? new TransferException(TransferErrorKind.AccessDenied, $"{Where} asks for an account (ACCT) after the login, which is not supported.")
                : FtpFailures.FromReply(reply, "the login", Where);
        }

        if (Secure)
        {
            await ExpectAsync("PBSZ 0", 200, cancellationToken).ConfigureAwait(false);
            await ExpectAsync("PROT P", 200, cancellationToken).ConfigureAwait(false);
        }

        var features = await SendAsync("FEAT", null, cancellationToken).ConfigureAwait(false);
        Features = features.Code == 211 ? FtpFeatures.Parse(features) : FtpFeatures.Unknown;
        await ExpectAsync("TYPE I", 200, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>AUTH TLS and the handshake; returns the turn of the handshake gate, to dispose after the next read.</summary>
    private async Task<IDisposable> StartTlsAsync(CancellationToken cancellationToken)
    {
        var reply = await SendAsync("AUTH TLS", null, cancellationToken).ConfigureAwait(false);
        if (reply.Code != 234)
        {
            throw reply.Code is >= 400 and < 500
                ? FtpFailures.FromReply(reply, "AUTH TLS", Where)
                : new TransferException(
                    TransferErrorKind.ConnectionFailed,
                    $"{Where} does not offer TLS: it answered AUTH TLS with {reply}. Nothing was sent in plain text; use ftp:// only if you accept an unencrypted connection.")
                { StatusCode = reply.Code };
        }

        var tls = new SslStream(stream, leaveInnerStreamOpen: false, certificateCheck);
        var turn = await handshakes.EnterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await BoundedOwn("the TLS handshake", timeout, async token =>
            {
                await AuthenticateAsync(tls, token).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            turn.Dispose();
            throw;
        }

        stream = tls;
        reader = new FtpReplyReader(tls);
        return turn;
    }

    /// <summary>
    /// Validates the server's certificate as HTTPS does (the system's trust store, the host name of the address).
    /// Every connection of a source uses the same target host and options, so .NET offers the control connection's
    /// session on the data connections (servers that require TLS session reuse refuse data connections otherwise).
    /// </summary>
    private Task AuthenticateAsync(SslStream tls, CancellationToken cancellationToken)
    {
#if NET
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = address.Host,
            CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
        };
        return tls.AuthenticateAsClientAsync(options, cancellationToken);
#else
        return tls.AuthenticateAsClientAsync(address.Host, null, SslProtocols.None, checkCertificateRevocation: false);
#endif
    }

    private async Task ExpectAsync(string command, int code, CancellationToken cancellationToken)
    {
        var reply = await SendAsync(command, null, cancellationToken).ConfigureAwait(false);
        if (reply.Code != code)
        {
            throw FtpFailures.FromReply(reply, command, Where);
        }
    }
}
