using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// Downloads ftp:// and ftps:// (explicit TLS) files: the identity is SIZE + MDTM (+ the server's SHA-256 where FEAT
/// offers HASH or XSHA256, asked once per probe: hashing a large file on the server for every range would cost more
/// than the range), each range re-checks SIZE and MDTM on its own control connection before REST + RETR, so a file
/// that changed between attempts or during the download is started over, never spliced. Parallel ranges use a pool
/// of logged-in connections that shrinks itself when the server refuses extra logins.
/// </summary>
internal sealed class FtpByteSource : IByteSource
{
    private readonly DownloadRequest request;
    private readonly ITransferObserver observer;
    private readonly TimeProvider time;
    private readonly FtpAddress address;
    private readonly FtpConnectionPool pool;
    private readonly FtpTlsHandshakeGate handshakes = new();
    private int warnedNoRanges;
    private int hashTimedOut;
    private int warnedFewerConnections;

    public FtpByteSource(DownloadRequest request, ITransferObserver observer, TimeProvider timeProvider)
        : this(request, observer, timeProvider, certificateCheck: null)
    {
    }

    /// <summary>A source whose TLS connections trust what <paramref name="certificateCheck"/> accepts (tests: a test certificate).</summary>
    internal FtpByteSource(DownloadRequest request, ITransferObserver observer, TimeProvider timeProvider, System.Net.Security.RemoteCertificateValidationCallback? certificateCheck)
    {
        this.request = request ?? throw new ArgumentNullException(nameof(request));
        this.observer = observer ?? throw new ArgumentNullException(nameof(observer));
        time = timeProvider ?? TimeProvider.System;
        address = Checked(request);
        DisplayUri = address.Display;
        if (request.Headers.Count > 0)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"{DisplayUri}: -Headers apply to http(s) only; FTP has no request headers, so they are not sent.");
        }
        pool = new FtpConnectionPool(
            request.Connections,
            token => FtpControlConnection.OpenAsync(address, request.Credential, request.StallTimeout, time, certificateCheck, handshakes, token),
            OnLimitLowered);
    }

    public Uri DisplayUri { get; }

    /// <summary>
    /// Refuses, before any traffic: a directory or an empty path, credentials in the address, and a password over
    /// plain ftp:// without <see cref="TransferRequest.AllowUnencryptedAuthentication"/> (the rule of plain http).
    /// </summary>
    public static void Validate(DownloadRequest request) => Checked(request);

    /// <summary><see cref="Validate"/>'s checks, and the address they parsed.</summary>
    private static FtpAddress Checked(DownloadRequest request)
    {
        var address = FtpAddress.Parse(request.Uri);
        if (request.Credential is { } credential && (FtpAddress.CannotBeSent(credential.UserName) || FtpAddress.CannotBeSent(credential.Password)))
        {
            // USER and PASS are lines of the control connection: a line break would send the rest as another command,
            // and the server's answer to it (often echoed into error messages) could show part of the password.
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                "The -Credential user name or password contains a line break or NUL, which FTP cannot send. Check the credential.");
        }

        if (request.Credential is not null && !address.Secure && !request.AllowUnencryptedAuthentication)
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"A credential would be sent in plain text to {HttpOrigin.OriginText(request.Uri)}. Use an ftps:// address, or, if you accept the risk, add -AllowUnencryptedAuthentication.");
        }

        return address;
    }

    /// <summary>SIZE, MDTM and (where offered) the server's SHA-256 on a pooled connection; ranges need REST STREAM and SIZE.</summary>
    public async Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var control = await pool.RentAsync(cancellationToken).ConfigureAwait(false);
        var healthy = false;
        try
        {
            var identity = await IdentifyAsync(control, withHash: true, cancellationToken).ConfigureAwait(false);
            var ranges = identity.Length is not null && await SupportsRestAsync(control, DisplayUri, cancellationToken).ConfigureAwait(false);
            healthy = true;
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"{DisplayUri}: SIZE {identity.Length?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, MDTM {identity.LastModified?.ToString("u", CultureInfo.InvariantCulture) ?? "unknown"}, " +
                $"SHA-256 {identity.ETag ?? "not offered"}, REST {(ranges ? "supported" : "not usable")}.");
            if (!ranges && Interlocked.Exchange(ref warnedNoRanges, 1) == 0)
            {
                observer.OnMessage(
                    TransferMessageLevel.Warning,
                    $"{DisplayUri}: the server {(identity.Length is null ? "does not tell the file's size (SIZE)" : "does not resume transfers (REST STREAM)")}, so the file is downloaded from byte 0 on one connection and an interrupted download cannot be continued.");
            }

            return new SourceProbe(identity, ranges, TargetPaths.LastSegment(address.Path), DisplayUri);
        }
        finally
        {
            Release(control, healthy);
        }
    }

    /// <inheritdoc />
    public async Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken)
    {
        RangeArguments.Check(offset, endInclusive, expected);

        var control = await pool.RentAsync(cancellationToken).ConfigureAwait(false);
        var handedOver = false;
        var healthy = false;
        try
        {
            var identity = await IdentifyAsync(control, withHash: false, cancellationToken).ConfigureAwait(false);
            if (!identity.IsSameVersionAs(expected))
            {
                healthy = true;
                throw new TransferException(
                    TransferErrorKind.RemoteChanged,
                    $"{DisplayUri} changed: {RemoteChangeDescription.Describe(expected, identity)}.");
            }

            var total = identity.Length;
            var resume = offset > 0 && total is not null && await SupportsRestAsync(control, DisplayUri, cancellationToken).ConfigureAwait(false);
            var start = resume ? offset : 0;
            var data = await control.OpenDataAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (resume)
                {
                    var rest = await control.SendAsync("REST " + start.ToString(CultureInfo.InvariantCulture), null, cancellationToken).ConfigureAwait(false);
                    if (rest.Code != 350)
                    {
                        throw FtpFailures.FromReply(rest, "REST", DisplayUri);
                    }
                }

                var retrieve = await control.SendAsync("RETR " + address.Path, null, cancellationToken).ConfigureAwait(false);
                if (!retrieve.IsPreliminary)
                {
                    // After a 550, CWD may have moved it; after a 421 the server closes the connection.
                    healthy = retrieve.Code is >= 400 and < 600 and not 550 and not 421;
                    throw await RetrieveFailureAsync(control, retrieve, cancellationToken).ConfigureAwait(false);
                }

                var (stream, handshakeTurn) = await control.DataStreamAsync(data, cancellationToken).ConfigureAwait(false);
                data = null;
                var whole = offset > 0 && !resume; // no REST: the whole file, for the engine to rewind to byte 0
                long? end = endInclusive is { } e && !whole ? e + 1 : total;
                if (end is { } cut && total is { } size && cut > size)
                {
                    end = size;
                }

                var length = end - start;
                var body = new FtpDataStream(control, pool, stream, handshakeTurn, length, end is null || end == total, request.StallTimeout, time, cancellationToken, DisplayUri);
                handedOver = true;
                var answer = resume || (offset == 0 && total is not null) ? RangeAnswer.Partial : RangeAnswer.Whole;
                return new RangeBody(answer, start, length, identity, body);
            }
            finally
            {
                data?.Dispose();
            }
        }
        finally
        {
            if (!handedOver)
            {
                Release(control, healthy);
            }
        }
    }

    public void Dispose() => pool.Dispose();

    private void Release(FtpControlConnection control, bool healthy)
    {
        if (healthy)
        {
            pool.Return(control);
        }
        else
        {
            pool.Discard(control);
        }
    }

    private async Task<RemoteIdentity> IdentifyAsync(FtpControlConnection control, bool withHash, CancellationToken cancellationToken)
    {
        long? size;
        try
        {
            size = await control.SizeAsync(address.Path, cancellationToken).ConfigureAwait(false);
        }
        catch (TransferException ex) when (ex.StatusCode == 550)
        {
            throw await NotAFileAsync(control, ex, cancellationToken).ConfigureAwait(false);
        }

        var modified = await control.ModifiedAsync(address.Path, cancellationToken).ConfigureAwait(false);
        string? hash = null;
        if (withHash && Volatile.Read(ref hashTimedOut) == 0)
        {
            try
            {
                hash = await control.Sha256Async(address.Path, size, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientTransferException ex) when (ex.Kind == TransferErrorKind.TransferTimedOut)
            {
                // The retry of the probe goes without the hash: SIZE and MDTM still tell most changes.
                Interlocked.Exchange(ref hashTimedOut, 1);
                observer.OnMessage(TransferMessageLevel.Verbose, $"{DisplayUri}: the server's hash did not come in time ({ex.Message}); going on without it.");
                throw;
            }
        }

        // MDTM is compared by this source on every range (there is no If-Range to send), so it counts as a validator.
        return new RemoteIdentity(size, hash is null ? null : "sha256:" + hash, modified, LastModifiedIsStrong: modified is not null);
    }

    private static async Task<bool> SupportsRestAsync(FtpControlConnection control, Uri where, CancellationToken cancellationToken)
    {
        if (control.Features.RestStream)
        {
            return true;
        }

        // No FEAT, or one that does not list REST STREAM: ask. REST 0 changes nothing for the next RETR. A 4xx is the
        // server's passing trouble, not a "no": read as one, it would throw away every byte already on disk.
        var reply = await control.SendAsync("REST 0", null, cancellationToken).ConfigureAwait(false);
        if (reply.Code is >= 400 and < 500)
        {
            throw FtpFailures.FromReply(reply, "REST", where);
        }

        return reply.Code == 350;
    }

    /// <summary>A 550 names a missing file, or a directory: CWD tells which (the connection's directory then changed, so it is not reused).</summary>
    private async Task<TransferException> NotAFileAsync(FtpControlConnection control, TransferException notFound, CancellationToken cancellationToken)
    {
        var cwd = await control.SendAsync("CWD " + address.Path, null, cancellationToken).ConfigureAwait(false);
        if (cwd.IsCompletion)
        {
            return new TransferException(
                TransferErrorKind.InvalidArgument,
                $"{DisplayUri} is a directory, not a file. Give the address of a file in it, such as {DisplayUri}/file.iso.");
        }

        return notFound;
    }

    private async Task<TransferException> RetrieveFailureAsync(FtpControlConnection control, FtpReply reply, CancellationToken cancellationToken)
    {
        var failure = FtpFailures.FromReply(reply, "RETR " + address.Path, DisplayUri);
        return reply.Code == 550 ? await NotAFileAsync(control, failure, cancellationToken).ConfigureAwait(false) : failure;
    }

    private void OnLimitLowered(int limit, TransferException refusal)
    {
        if (Interlocked.Exchange(ref warnedFewerConnections, 1) == 0)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"{DisplayUri}: the server refused another login ({refusal.Message}); continuing with {limit} connection{(limit == 1 ? string.Empty : "s")} instead of {request.Connections}.");
        }
        else
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"{DisplayUri}: the server refused another login; now at most {limit} connections.");
        }
    }
}
