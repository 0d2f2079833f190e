using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// An HTTP(S) resource as an <see cref="IByteSource"/>: probes with a one-byte ranged GET (or, for a fresh download,
/// with the first data request itself: <see cref="IOpeningProbe"/>), opens validated ranges
/// with If-Range, follows redirects itself (sending credentials and the Authorization and Cookie headers to the
/// original origin only), and hands out bodies that throw instead of ending short.
/// </summary>
/// <remarks>Thread-safe: the engine opens ranges from several connections at once over the one shared client.</remarks>
public sealed class HttpByteSource : IByteSource, IOpeningProbe
{
    private readonly DownloadRequest request;
    private readonly ITransferObserver observer;
    private readonly TimeProvider time;
    private readonly RangeRequestSender sender;
    private readonly Uri requestUri;

    // Where the redirects of the probe led. Range requests of this run go there directly: one round trip less per
    // segment, and every segment comes from the server the probe measured (a redirector that spreads requests over
    // mirrors could otherwise hand two segments to mirrors holding different versions). Kept in memory only: the
    // next run resolves again, and an address that stops working (signed redirect targets expire) is resolved
    // again from the original one.
    private Uri? resolvedUri;

    private readonly ContentCodingGuard coding;

    /// <summary>Creates the source. Nothing is sent until <see cref="ProbeAsync"/> or <see cref="OpenRangeAsync"/>.</summary>
    /// <param name="client">The shared client from <see cref="TransferHttpClientFactory.Create"/>; not disposed by this source.</param>
    /// <param name="request">Uri, Headers, Credential, AllowUnencryptedAuthentication, UserAgent, StallTimeout and MaximumRedirects are used.</param>
    /// <param name="observer">Receives verbose messages about redirects and ignored headers.</param>
    /// <param name="timeProvider">The clock of the stall timeout (<see cref="TimeProvider.System"/> when null).</param>
    /// <exception cref="TransferException">
    /// <see cref="TransferErrorKind.InvalidArgument"/> when the address is not http(s), or when a credential or an
    /// Authorization header would travel over plain http without <see cref="TransferRequest.AllowUnencryptedAuthentication"/>.
    /// </exception>
    public HttpByteSource(HttpClient client, DownloadRequest request, ITransferObserver observer, TimeProvider? timeProvider = null)
    {
        if (client is null)
        {
            throw new ArgumentNullException(nameof(client));
        }

        this.request = request ?? throw new ArgumentNullException(nameof(request));
        this.observer = observer ?? throw new ArgumentNullException(nameof(observer));
        coding = new ContentCodingGuard(observer);
        time = timeProvider ?? TimeProvider.System;
        var uri = request.Uri;
        if (!HttpAddress.IsHttpOrHttps(uri))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{uri}' is not an http or https address. Give a full address such as https://example.com/file.iso.");
        }

        DisplayUri = HttpOrigin.ForDisplay(uri);
        var policy = new RequestPolicy(request, RangeRequestSender.Controlled, observer);
        requestUri = policy.RequestUri;
        sender = new RangeRequestSender(client, policy, request.MaximumRedirects, request.StallTimeout, time);
    }

    /// <inheritdoc />
    public Uri DisplayUri { get; }

    /// <summary>
    /// GETs <c>Range: bytes=0-0</c> (HEAD answers are too often wrong): 206 means ranges work and Content-Range gives
    /// the length; 200 means no ranges (length from Content-Length, if any; the body is not read).
    /// </summary>
    public async Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var sent = await sender.SendAsync(requestUri, 0, 0, validator: null, cancellationToken).ConfigureAwait(false);
        using var response = sent.Response;
        var where = HttpOrigin.ForDisplay(sent.Uri);
        RemoteIdentity identity;
        bool supportsRanges;
        switch (response.StatusCode)
        {
            case HttpStatusCode.PartialContent:
                identity = RangeResponseValidator.ValidatePartial(response, 0, 0, expected: null, where).Identity;
                coding.Start(response, where);
                supportsRanges = true;
                break;
            case HttpStatusCode.OK:
                identity = ResponseIdentity.Read(response, WholeLength(response, where));
                coding.Start(response, where);
                supportsRanges = false;
                break;
            case HttpStatusCode.RequestedRangeNotSatisfiable:
                // Not even byte 0 exists: an empty file, from a server that does ranges.
                identity = ResponseIdentity.Read(response, ReadUnsatisfiedTotal(response, where));
                supportsRanges = true;
                break;
            default:
                throw HttpFailures.FromStatus(response, null, sent.SecretsWithheld);
        }

        return Describe(response, sent.Uri, identity, supportsRanges);
    }

    /// <summary>
    /// GETs <c>Range: bytes=0-</c> with no If-Range: the probe and the first data request in one round trip. 206 (its
    /// Content-Range checked like any other) means ranges work and gives the total; 200 means no ranges and the body is
    /// the whole file; 416 means an empty file. The body is handed back unread.
    /// </summary>
    async Task<OpenedProbe> IOpeningProbe.ProbeByOpeningAsync(CancellationToken cancellationToken)
    {
        var sent = await sender.SendAsync(requestUri, 0, null, validator: null, cancellationToken).ConfigureAwait(false);
        var response = sent.Response;
        var where = HttpOrigin.ForDisplay(sent.Uri);
        try
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                {
                    var (range, identity) = RangeResponseValidator.ValidatePartial(response, 0, null, expected: null, where);
                    coding.Start(response, where);
                    var probe = Describe(response, sent.Uri, identity, supportsRanges: true);
                    var body = await OpenBodyAsync(response, range.RangeLength, where, cancellationToken).ConfigureAwait(false);
                    return new OpenedProbe(probe, new RangeBody(RangeAnswer.Partial, 0, range.RangeLength, identity, body));
                }

                case HttpStatusCode.OK:
                {
                    var length = WholeLength(response, where);
                    var identity = ResponseIdentity.Read(response, length);
                    coding.Start(response, where);
                    var probe = Describe(response, sent.Uri, identity, supportsRanges: false);
                    var body = await OpenBodyAsync(response, length, where, cancellationToken).ConfigureAwait(false);
                    return new OpenedProbe(probe, new RangeBody(RangeAnswer.Whole, 0, length, identity, body));
                }

                case HttpStatusCode.RequestedRangeNotSatisfiable:
                {
                    var identity = ResponseIdentity.Read(response, ReadUnsatisfiedTotal(response, where));
                    var probe = Describe(response, sent.Uri, identity, supportsRanges: true);
                    response.Dispose();
                    return new OpenedProbe(probe, new RangeBody(RangeAnswer.NotSatisfiable, 0, 0, identity, Stream.Null));
                }

                default:
                    throw HttpFailures.FromStatus(response, null, sent.SecretsWithheld);
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>The returned body's reads are also cancelled by <paramref name="cancellationToken"/>.</remarks>
    public async Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken)
    {
        RangeArguments.Check(offset, endInclusive, expected);

        var start = Volatile.Read(ref resolvedUri) ?? requestUri;
        var sent = await sender.SendAsync(start, offset, endInclusive, expected, cancellationToken).ConfigureAwait(false);
        if (!start.Equals(requestUri) && sent.Response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"{HttpOrigin.ForDisplay(sent.Uri)} answered {(int)sent.Response.StatusCode}; resolving the address again from {DisplayUri}.");
            sent.Response.Dispose();
            Volatile.Write(ref resolvedUri, null);
            sent = await sender.SendAsync(requestUri, offset, endInclusive, expected, cancellationToken).ConfigureAwait(false);
        }

        var response = sent.Response;
        var where = HttpOrigin.ForDisplay(sent.Uri);
        try
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.PartialContent:
                {
                    // It may start before the offset (covering it): the body then begins with the overlap, for the caller to skip.
                    var (range, identity) = RangeResponseValidator.ValidatePartial(response, offset, endInclusive, expected, where);
                    coding.Continue(response, where);
                    Interlocked.CompareExchange(ref resolvedUri, sent.Uri, null);
                    var body = await OpenBodyAsync(response, range.RangeLength, where, cancellationToken).ConfigureAwait(false);
                    return new RangeBody(RangeAnswer.Partial, range.First!.Value, range.RangeLength, identity, body);
                }

                case HttpStatusCode.OK:
                {
                    // The range was ignored or the validator failed: this is the whole entity, maybe a new version.
                    // The engine decides what to keep; this only reports what the response says.
                    var length = WholeLength(response, where);
                    var identity = ResponseIdentity.Read(response, length);
                    if (identity.IsSameVersionAs(expected))
                    {
                        coding.Continue(response, where);
                    }
                    else
                    {
                        coding.Start(response, where); // a new version: nothing of the old one will be joined to it
                    }

                    Interlocked.CompareExchange(ref resolvedUri, sent.Uri, null);
                    var body = await OpenBodyAsync(response, length, where, cancellationToken).ConfigureAwait(false);
                    return new RangeBody(RangeAnswer.Whole, 0, length, identity, body);
                }

                case HttpStatusCode.RequestedRangeNotSatisfiable:
                {
                    var identity = ResponseIdentity.Read(response, ReadUnsatisfiedTotal(response, where));
                    response.Dispose();
                    return new RangeBody(RangeAnswer.NotSatisfiable, offset, 0, identity, Stream.Null);
                }

                default:
                    throw HttpFailures.FromStatus(response, null, sent.SecretsWithheld);
            }
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Nothing to release: the client belongs to the caller.</summary>
    public void Dispose()
    {
    }

    /// <summary>Records where the redirects led and reads the suggested name: what a probe answer says beyond its identity.</summary>
    private SourceProbe Describe(HttpResponseMessage response, Uri resolved, RemoteIdentity identity, bool supportsRanges)
    {
        Volatile.Write(ref resolvedUri, resolved);
        var where = HttpOrigin.ForDisplay(resolved);
        var fileName = response.Content.Headers.TryGetValues("Content-Disposition", out var disposition)
            ? ContentDispositionFileName.Parse(disposition.FirstOrDefault())
            : null;
        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"{where} answered {(int)response.StatusCode}: length {(identity.Length is { } l ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown")}, " +
            $"ETag {identity.ETag ?? "none"}, Last-Modified {(identity.LastModified is { } lm ? lm.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + (identity.LastModifiedIsStrong ? " (strong)" : " (weak)") : "none")}, " +
            $"ranges {(supportsRanges ? "supported" : "not supported")}.");
        return new SourceProbe(identity, supportsRanges, fileName, where);
    }

    private static long? ReadUnsatisfiedTotal(HttpResponseMessage response, Uri where) =>
        response.Content.Headers.TryGetValues("Content-Range", out var values) &&
        ContentRangeHeader.TryParse(values.FirstOrDefault(), out var range) && range.IsUnsatisfied
            ? RangeResponseValidator.CheckLength(range.CompleteLength, "Content-Range total", where, (int)response.StatusCode)
            : null;

    private static long? WholeLength(HttpResponseMessage response, Uri where) =>
        RangeResponseValidator.CheckLength(response.Content.Headers.ContentLength, "Content-Length", where, (int)response.StatusCode);

    private async Task<Stream> OpenBodyAsync(HttpResponseMessage response, long? expectedLength, Uri where, CancellationToken cancellationToken)
    {
        Stream inner;
        try
        {
#if NET
            inner = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
#else
            inner = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
#endif
        }
        catch (Exception ex) when (HttpFailures.IsTransport(ex))
        {
            throw HttpFailures.FromTransport(ex, where);
        }

        return new ValidatedBodyStream(response, inner, expectedLength, request.StallTimeout, time, cancellationToken, where);
    }
}
