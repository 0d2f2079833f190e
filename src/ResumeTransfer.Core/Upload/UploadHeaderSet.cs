using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using ResumeTransfer.Core.Sources.Http;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// The headers every request of one http(s) upload carries (tus, chunk API): the user's headers minus the ones the
/// protocol controls, a User-Agent, and the secrets (Authorization, Cookie, the credential as Basic) which go to the
/// endpoint's origin only, never to an upload URL on another origin. Nothing here is ever written to the state file.
/// </summary>
public sealed class UploadHeaderSet
{
    private readonly List<KeyValuePair<string, string>> general = new();
    private readonly List<KeyValuePair<string, string>> originBound = new();
    private readonly Uri origin;
    private readonly string userAgent;

    /// <summary>Reads the headers and credential of <paramref name="request"/>; <paramref name="controlled"/> are the names the protocol sets itself (a user's value is ignored with a verbose message).</summary>
    public UploadHeaderSet(UploadRequest request, ITransferObserver observer, IEnumerable<string> controlled)
    {
        origin = request.Uri;
        userAgent = request.UserAgent ?? "ResumeTransfer/1.0";
        var skip = new HashSet<string>(controlled, StringComparer.OrdinalIgnoreCase) { "Host", "Content-Length", "Transfer-Encoding", "Connection", "User-Agent" };
        foreach (var pair in request.Headers)
        {
            if (string.Equals(pair.Key, "User-Agent", StringComparison.OrdinalIgnoreCase))
            {
                userAgent = pair.Value;
            }
            else if (skip.Contains(pair.Key))
            {
                observer.OnMessage(TransferMessageLevel.Verbose, $"Header '{pair.Key}' is set by the upload protocol; the given value is not sent.");
            }
            else if (string.Equals(pair.Key, "Authorization", StringComparison.OrdinalIgnoreCase) || string.Equals(pair.Key, "Cookie", StringComparison.OrdinalIgnoreCase))
            {
                originBound.Add(pair);
            }
            else
            {
                general.Add(pair);
            }
        }

        var hasSecret = originBound.Count > 0 || request.Credential is not null;
        if (hasSecret && string.Equals(origin.Scheme, "http", StringComparison.OrdinalIgnoreCase) && !request.AllowUnencryptedAuthentication)
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"Credentials or an Authorization/Cookie header would go over plain http to {HttpOrigin.ForDisplay(origin)}. Use https, or allow it explicitly (-AllowUnencryptedAuthentication).");
        }

        if (request.Credential is { } credential)
        {
            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.UserName}:{credential.Password}"));
            originBound.Add(new KeyValuePair<string, string>("Authorization", "Basic " + basic));
        }
    }

    /// <summary>Adds the headers to <paramref name="message"/> (secrets only when it goes to the endpoint's origin).</summary>
    public void Apply(HttpRequestMessage message)
    {
        message.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        foreach (var pair in general)
        {
            if (!message.Headers.TryAddWithoutValidation(pair.Key, pair.Value))
            {
                message.Content?.Headers.TryAddWithoutValidation(pair.Key, pair.Value);
            }
        }

        if (message.RequestUri is { } target && HttpOrigin.IsSame(target, origin))
        {
            foreach (var pair in originBound)
            {
                if (string.Equals(pair.Key, "Authorization", StringComparison.OrdinalIgnoreCase))
                {
                    message.Headers.Authorization = AuthenticationHeaderValue.Parse(pair.Value);
                }
                else
                {
                    message.Headers.TryAddWithoutValidation(pair.Key, pair.Value);
                }
            }
        }
    }
}
