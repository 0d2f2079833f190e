using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text;
using ResumeTransfer.Core.Download;

namespace ResumeTransfer.Core.Sources.Http;

/// <summary>
/// The headers every request of one download carries, decided once: the user's headers minus the ones this
/// source must control, and the secrets (Authorization, Cookie, the credential as preemptive Basic) that go to
/// the original origin only.
/// </summary>
internal sealed class RequestHeaderPlan
{
    /// <summary>Headers the byte source sets itself; a user's value would break range requests or their validation.</summary>
    private static readonly HashSet<string> Controlled = new(StringComparer.OrdinalIgnoreCase)
    {
        "Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since",
        "Accept-Encoding", "TE", "Connection", "Transfer-Encoding", "Upgrade", "Host", "User-Agent",
    };

    /// <summary>Headers that identify the user to the origin: dropped when a redirect leaves it.</summary>
    private static readonly HashSet<string> OriginBoundNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Cookie",
    };

    private readonly List<KeyValuePair<string, string>> general = new();
    private readonly List<KeyValuePair<string, string>> originBound = new();

    public RequestHeaderPlan(DownloadRequest request, ITransferObserver observer)
    {
        string? headerUserAgent = null;
        var ignored = new List<string>();
        using var probe = new HttpRequestMessage(HttpMethod.Get, request.Uri);
        foreach (var pair in request.Headers)
        {
            if (string.Equals(pair.Key, "User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                headerUserAgent = pair.Value;
            }
            else if (Controlled.Contains(pair.Key) || !probe.Headers.TryAddWithoutValidation(pair.Key, pair.Value))
            {
                // Content headers (Content-Type...) mean nothing on a GET; the others this source sets itself.
                ignored.Add(pair.Key);
            }
            else if (OriginBoundNames.Contains(pair.Key))
            {
                originBound.Add(pair);
            }
            else
            {
                general.Add(pair);
            }
        }

        if (ignored.Count > 0)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"Ignoring header(s) {string.Join(", ", ignored)}: a download sets them itself or they do not apply to a GET request.");
        }

        HasAuthorizationHeader = originBound.Exists(p => string.Equals(p.Key, "Authorization", StringComparison.OrdinalIgnoreCase));
        if (request.Credential is { } credential)
        {
            if (HasAuthorizationHeader)
            {
                observer.OnMessage(TransferMessageLevel.Verbose, "Both -Credential and an Authorization header were given; the Authorization header is sent and the credential is not.");
            }
            else
            {
                originBound.Add(new KeyValuePair<string, string>("Authorization", BasicAuthorization(credential)));
            }
        }

        UserAgent = request.UserAgent ?? headerUserAgent ?? DefaultUserAgent;
    }

    /// <summary>"ResumeTransfer/&lt;version&gt;", sent when the caller names no user agent.</summary>
    public static string DefaultUserAgent { get; } =
        "ResumeTransfer/" + (typeof(RequestHeaderPlan).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

    public string UserAgent { get; }

    /// <summary>True when the caller's headers include Authorization.</summary>
    public bool HasAuthorizationHeader { get; }

    /// <summary>True when there is anything to withhold from other origins.</summary>
    public bool HasOriginBoundHeaders => originBound.Count > 0;

    /// <summary>Adds the user agent and the user's headers; the secrets only when <paramref name="sameOriginAsRequested"/>.</summary>
    public void Apply(HttpRequestMessage message, bool sameOriginAsRequested)
    {
        message.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
        foreach (var pair in general)
        {
            message.Headers.TryAddWithoutValidation(pair.Key, pair.Value);
        }

        if (sameOriginAsRequested)
        {
            foreach (var pair in originBound)
            {
                message.Headers.TryAddWithoutValidation(pair.Key, pair.Value);
            }
        }
    }

    private static string BasicAuthorization(NetworkCredential credential)
    {
        var user = string.IsNullOrEmpty(credential.Domain) ? credential.UserName : credential.Domain + "\\" + credential.UserName;
        return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + credential.Password));
    }
}
