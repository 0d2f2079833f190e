using System;
using System.Collections.Generic;
using System.Net;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// What the caller asked of every request of one transfer, in either direction: <see cref="Download.DownloadRequest"/>
/// and <see cref="Upload.UploadRequest"/> add only what is their own. <see cref="RequestPolicy"/> is the one place that
/// turns it into headers, credentials and redirect rules, and the retry rules read the back-off from it; an option that
/// concerns every request (a proxy, a bandwidth cap) belongs here.
/// </summary>
public abstract record TransferRequest
{
    /// <summary>The address the user named: its origin is the one the user's headers and credential go to.</summary>
    public required Uri Uri { get; init; }

    /// <summary>Extra request headers (http(s) only). Dropped when a redirect leaves the origin, unless <see cref="PreserveHeadersOnRedirect"/>; never written to a state file.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Sent as preemptive Basic authentication to the origin of <see cref="Uri"/> (S3 reads it as access key and secret instead). Never written to a state file.</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>Allow <see cref="Credential"/> or an Authorization header over plain http.</summary>
    public bool AllowUnencryptedAuthentication { get; init; }

    /// <summary>Allow a redirect (or a stored or announced upload URL) from https to plain http.</summary>
    public bool AllowInsecureRedirect { get; init; }

    /// <summary>Send the user's headers and credential to other origins too after a redirect (off: the requested origin only).</summary>
    public bool PreserveHeadersOnRedirect { get; init; }

    /// <summary>The User-Agent; null = a User-Agent header among <see cref="Headers"/>, else ResumeTransfer's own.</summary>
    public string? UserAgent { get; init; }

    /// <summary>S3 only: the address of an S3-compatible service (e.g. http://127.0.0.1:9000); null = AWS.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>S3 only: the region; null = the SDK's default (us-east-1 for a custom <see cref="Endpoint"/>).</summary>
    public string? Region { get; init; }

    /// <summary>Retries per failing request before giving up.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Base delay of the exponential back-off.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A request that moves no byte for this long is a stall, retried.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most a server's Retry-After may make us wait.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);
}
