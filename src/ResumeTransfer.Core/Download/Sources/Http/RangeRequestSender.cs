using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>A response and where it came from after redirects.</summary>
/// <param name="Response">The final response, headers read, body not yet.</param>
/// <param name="Uri">The address that gave it.</param>
/// <param name="SecretsWithheld">True when redirects led to another origin and the user's headers and credential were not sent there.</param>
internal sealed record SentRequest(HttpResponseMessage Response, Uri Uri, bool SecretsWithheld);

/// <summary>
/// Sends one ranged GET: builds a new message per hop (Range, If-Range, Accept-Encoding: identity, the user's
/// headers), follows redirects itself up to the limit, under the one <see cref="RequestPolicy"/>: the user's headers
/// and credential go to the origin the user named only, and https never leads to http unless allowed. The handler's
/// own redirect following is off because it would carry custom headers to any host a redirect names.
/// </summary>
internal sealed class RangeRequestSender
{
    /// <summary>Headers a ranged GET sets itself; a user's value would break the range or its validation.</summary>
    public static readonly string[] Controlled =
    {
        "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "Accept-Encoding",
    };

    private static readonly StringWithQualityHeaderValue Identity = new("identity");

    private readonly HttpClient client;
    private readonly RequestPolicy policy;
    private readonly int maximumRedirects;
    private readonly TimeSpan responseTimeout;

    private readonly TimeProvider time;

    public RangeRequestSender(HttpClient client, RequestPolicy policy, int maximumRedirects, TimeSpan responseTimeout, TimeProvider time)
    {
        this.client = client;
        this.policy = policy;
        this.maximumRedirects = maximumRedirects;
        this.responseTimeout = responseTimeout;
        this.time = time;
    }

    /// <summary>
    /// GETs <c>bytes=offset-[end]</c> from <paramref name="start"/>, with If-Range from <paramref name="validator"/>
    /// (its strong ETag, else its Last-Modified when strong; a weak ETag never: the server must then ignore the range).
    /// </summary>
    public async Task<SentRequest> SendAsync(Uri start, long offset, long? endInclusive, RemoteIdentity? validator, CancellationToken cancellationToken)
    {
        var current = start;
        for (var redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            using (var message = Build(current, offset, endInclusive, validator))
            {
                response = await SendOnceAsync(message, current, cancellationToken).ConfigureAwait(false);
            }

            if (!HttpFailures.IsRedirect(response.StatusCode) || response.Headers.Location is not { } location)
            {
                return new SentRequest(response, current, policy.Withholds(current));
            }

            var code = (int)response.StatusCode;
            response.Dispose(); // the redirect's body is of no interest
            if (redirects >= maximumRedirects)
            {
                var last = location.IsAbsoluteUri ? location : new Uri(current, location);
                throw new TransferException(
                    TransferErrorKind.TooManyRedirects,
                    $"{HttpOrigin.ForDisplay(policy.Origin)} redirected more than {maximumRedirects} times (last to {HttpOrigin.ForDisplay(last)}). Check the address, or allow more redirects.")
                { StatusCode = code };
            }

            // Only GET is ever sent, so 303's "continue with GET" needs no change of method.
            current = policy.FollowRedirect(current, location, code);
        }
    }

    private HttpRequestMessage Build(Uri uri, long offset, long? endInclusive, RemoteIdentity? validator)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, uri);
        policy.Apply(message);
        message.Headers.Range = new RangeHeaderValue(offset, endInclusive);
        // Offsets of an encoded body are offsets into the compressed stream: ranges need the identity encoding.
        message.Headers.AcceptEncoding.Add(Identity);
        if (validator is { HasStrongETag: true, ETag: { } etag })
        {
            message.Headers.TryAddWithoutValidation("If-Range", etag); // as the server sent it
        }
        else if (validator is { ETag: null, LastModifiedIsStrong: true, LastModified: { } lastModified })
        {
            // RFC 9110 13.1.5: a date only when there is no entity tag at all. With a weak ETag no If-Range is sent;
            // the answer's ETag and Last-Modified are still compared, so a change is still caught.
            message.Headers.IfRange = new RangeConditionHeaderValue(lastModified);
        }

        return message;
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage message, Uri uri, CancellationToken cancellationToken)
    {
        // Waiting for headers is a read too: a server that accepts the connection and never answers is a stall.
        using var timeout = new StallWatchdog(time, responseTimeout, cancellationToken, armed: true);
        try
        {
            return await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex) when (timeout.Fired)
        {
            throw new TransientTransferException(
                TransferErrorKind.TransferTimedOut,
                $"{HttpOrigin.ForDisplay(uri)} sent no response within {responseTimeout.TotalSeconds:0.###} s.",
                ex);
        }
        catch (Exception ex) when (HttpFailures.IsTransport(ex))
        {
            throw HttpFailures.FromTransport(ex, HttpOrigin.ForDisplay(uri));
        }
    }
}
