using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// The one set of rules for what the HTTP requests of a transfer carry, for downloads and uploads alike: the user's
/// headers less the ones the protocol sets itself, one User-Agent, the credential as preemptive Basic, and where they
/// may go. Everything the user supplied (every header, not only Authorization and Cookie, and the credential) goes to
/// the origin of <see cref="TransferRequest.Uri"/> only, unless <see cref="TransferRequest.PreserveHeadersOnRedirect"/>;
/// a redirect from https to http is refused unless <see cref="TransferRequest.AllowInsecureRedirect"/>. Nothing here is
/// ever written to a state file.
/// </summary>
/// <remarks>
/// User info in the address (<c>https://user:password@host/</c>) is a credential, as curl and wget take it: it obeys the
/// plain-http rule, -Credential wins over it, and it is never sent in the address itself (<see cref="RequestUri"/>).
/// </remarks>
public sealed class RequestPolicy
{
    /// <summary>Headers no transfer lets a user set: they describe the connection or the message framing.</summary>
    private static readonly string[] AlwaysControlled =
    {
        "Host", "Content-Length", "Transfer-Encoding", "Connection", "Upgrade", "TE", "Keep-Alive", "Proxy-Connection",
    };

    private readonly List<KeyValuePair<string, string>> userHeaders = new();
    private readonly string? authorization;
    private readonly bool allowInsecureRedirect;
    private readonly bool preserveHeaders;
    private readonly ITransferObserver observer;

    /// <summary>Reads the options once; <paramref name="controlled"/> are the headers this protocol sets itself.</summary>
    /// <exception cref="TransferException">
    /// <see cref="TransferErrorKind.InvalidArgument"/> when a credential or an Authorization header would go over plain
    /// http without <see cref="TransferRequest.AllowUnencryptedAuthentication"/>.
    /// </exception>
    public RequestPolicy(TransferRequest options, IEnumerable<string> controlled, ITransferObserver observer)
    {
        if (options is null)
        {
            throw new ArgumentNullException(nameof(options));
        }

        this.observer = observer ?? throw new ArgumentNullException(nameof(observer));
        Origin = options.Uri;
        RequestUri = WithoutUserInfo(options.Uri);
        allowInsecureRedirect = options.AllowInsecureRedirect;
        preserveHeaders = options.PreserveHeadersOnRedirect;

        var skip = new HashSet<string>(AlwaysControlled.Concat(controlled ?? Array.Empty<string>()), StringComparer.OrdinalIgnoreCase);
        string? headerUserAgent = null;
        var ignored = new List<string>();
        using var probe = new HttpRequestMessage(HttpMethod.Get, RequestUri);
        foreach (var pair in options.Headers)
        {
            if (string.Equals(pair.Key, "User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                headerUserAgent = pair.Value;
            }
            else if (skip.Contains(pair.Key) || !probe.Headers.TryAddWithoutValidation(pair.Key, pair.Value))
            {
                // The second test rejects content headers (Content-Type...): the protocol describes its own bodies.
                ignored.Add(pair.Key);
            }
            else
            {
                userHeaders.Add(pair);
            }
        }

        if (ignored.Count > 0)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"Ignoring header(s) {string.Join(", ", ignored)}: the transfer sets them itself or they do not apply to its requests.");
        }

        UserAgent = options.UserAgent ?? headerUserAgent ?? DefaultUserAgent;
        var hasAuthorizationHeader = userHeaders.Exists(p => IsNamed(p, "Authorization"));
        var credential = options.Credential ?? UserInfoCredential(options.Uri);
        if (options.Credential is not null && options.Uri.UserInfo.Length > 0)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, "Both -Credential and a user name in the address were given; -Credential is used.");
        }

        if (credential is not null)
        {
            if (hasAuthorizationHeader)
            {
                // The header is the more explicit of the two, as with Invoke-WebRequest, which sends it and keeps the
                // credential for a challenge.
                observer.OnMessage(TransferMessageLevel.Verbose, "Both a credential and an Authorization header were given; the Authorization header is sent and the credential is not.");
            }
            else
            {
                authorization = BasicAuthorization(credential);
            }
        }

        HasCredentials = authorization is not null || hasAuthorizationHeader;
        if (HasCredentials && string.Equals(options.Uri.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase) && !options.AllowUnencryptedAuthentication)
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"A credential or an Authorization header would be sent in plain text to {HttpOrigin.OriginText(options.Uri)}. Use an https address, or, if you accept the risk, add -AllowUnencryptedAuthentication.");
        }
    }

    /// <summary>"ResumeTransfer/&lt;version&gt;", sent when the caller names no user agent.</summary>
    public static string DefaultUserAgent { get; } =
        "ResumeTransfer/" + (typeof(RequestPolicy).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    /// <summary>The address the user named (user info included): its origin is where the user's headers go.</summary>
    public Uri Origin { get; }

    /// <summary><see cref="Origin"/> without user info: the address to send requests to.</summary>
    public Uri RequestUri { get; }

    public string UserAgent { get; }

    /// <summary>True when a credential or an Authorization header is sent (to the origin).</summary>
    public bool HasCredentials { get; }

    /// <summary>True when a request to <paramref name="target"/> goes without some of what the user supplied.</summary>
    public bool Withholds(Uri target) => !SendsUserHeadersTo(target) && (userHeaders.Count > 0 || authorization is not null);

    /// <summary>Adds the User-Agent, and the user's headers and credential when the message goes where they may.</summary>
    public void Apply(HttpRequestMessage message)
    {
        if (message is null)
        {
            throw new ArgumentNullException(nameof(message));
        }

        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        if (message.RequestUri is not { } target || !SendsUserHeadersTo(target))
        {
            return;
        }

        foreach (var pair in userHeaders)
        {
            message.Headers.TryAddWithoutValidation(pair.Key, pair.Value);
        }

        if (authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
    }

    /// <summary>
    /// Where a redirect from <paramref name="current"/> leads, checked: an http(s) address, not from https to http
    /// unless allowed. Says in a verbose message where it goes and which of the user's headers stay behind (names only).
    /// </summary>
    /// <param name="current">The address that answered with the redirect.</param>
    /// <param name="location">Its Location header, absolute or relative.</param>
    /// <param name="status">The redirect's status code, for the messages.</param>
    public Uri FollowRedirect(Uri current, Uri location, int status)
    {
        var next = location.IsAbsoluteUri ? location : new Uri(current, location);
        if (next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps)
        {
            throw new TransferException(
                TransferErrorKind.ProtocolViolation,
                $"{HttpOrigin.ForDisplay(current)} redirected to a {next.Scheme}: address, which cannot be reached over HTTP. Use that address with a suitable tool.")
            { StatusCode = status };
        }

        CheckNotDowngraded(current, next, "redirected");
        observer.OnMessage(TransferMessageLevel.Verbose, $"{HttpOrigin.ForDisplay(current)} redirected ({status}) to {HttpOrigin.ForDisplay(next)}.");
        if (SendsUserHeadersTo(current) && !SendsUserHeadersTo(next))
        {
            var withheld = userHeaders.Select(p => p.Key).ToList();
            if (authorization is not null)
            {
                withheld.Add("the credential");
            }

            if (withheld.Count > 0)
            {
                observer.OnMessage(
                    TransferMessageLevel.Verbose,
                    $"The redirect leaves the origin {HttpOrigin.OriginText(Origin)}: {string.Join(", ", withheld)} are not sent to {HttpOrigin.OriginText(next)} (-PreserveHeadersOnRedirect sends them).");
            }
        }

        return WithoutUserInfo(next);
    }

    /// <summary>
    /// Refuses a move from https to plain http (a redirect, or a server-announced upload URL) unless the user allowed
    /// it: the data, and anything the next hop is sent, would travel readable by anyone on the way.
    /// </summary>
    /// <param name="from">Where the transfer was.</param>
    /// <param name="to">Where it would go.</param>
    /// <param name="how">What leads there, for the message ("redirected", "announced the upload URL").</param>
    public void CheckNotDowngraded(Uri from, Uri to, string how)
    {
        if (!allowInsecureRedirect &&
            string.Equals(from.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase) &&
            string.Equals(to.Scheme, Uri.UriSchemeHttp, StringComparison.OrdinalIgnoreCase))
        {
            throw new TransferException(
                TransferErrorKind.InsecureRedirect,
                $"{HttpOrigin.ForDisplay(from)} {how} {HttpOrigin.ForDisplay(to)}, from https to unencrypted http; nothing was sent there. Use an https address, or add -AllowInsecureRedirect if you accept that the data travel unencrypted.");
        }
    }

    private bool SendsUserHeadersTo(Uri target) => preserveHeaders || HttpOrigin.IsSame(target, Origin);

    private static bool IsNamed(KeyValuePair<string, string> pair, string name) => string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase);

    private static Uri WithoutUserInfo(Uri uri) =>
        uri.IsAbsoluteUri && uri.UserInfo.Length > 0 ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri : uri;

    private static NetworkCredential? UserInfoCredential(Uri uri)
    {
        if (!uri.IsAbsoluteUri || uri.UserInfo.Length == 0)
        {
            return null;
        }

        var colon = uri.UserInfo.IndexOf(':');
        var user = colon < 0 ? uri.UserInfo : uri.UserInfo.Substring(0, colon);
        var password = colon < 0 ? string.Empty : uri.UserInfo.Substring(colon + 1);
        return new NetworkCredential(Uri.UnescapeDataString(user), Uri.UnescapeDataString(password));
    }

    private static string BasicAuthorization(NetworkCredential credential)
    {
        var user = string.IsNullOrEmpty(credential.Domain) ? credential.UserName : credential.Domain + "\\" + credential.UserName;
        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + credential.Password));
    }
}
