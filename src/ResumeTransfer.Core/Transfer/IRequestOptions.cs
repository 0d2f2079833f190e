using System;
using System.Collections.Generic;
using System.Net;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// What the caller asked of every HTTP request of one transfer, in either direction. <see cref="RequestPolicy"/> is the
/// one place that turns it into headers, credentials and redirect rules; a download and an upload request both carry it.
/// </summary>
public interface IRequestOptions
{
    /// <summary>The address the user named: its origin is the one the user's headers and credential go to.</summary>
    Uri Uri { get; }

    /// <summary>Extra request headers.</summary>
    IReadOnlyDictionary<string, string> Headers { get; }

    /// <summary>Sent as preemptive Basic authentication (S3 reads it as access key and secret instead).</summary>
    NetworkCredential? Credential { get; }

    /// <summary>Allow the credential or an Authorization header over plain http.</summary>
    bool AllowUnencryptedAuthentication { get; }

    /// <summary>Allow a redirect (or an upload URL) that leads from https to plain http.</summary>
    bool AllowInsecureRedirect { get; }

    /// <summary>Send the user's headers and credential to other origins too.</summary>
    bool PreserveHeadersOnRedirect { get; }

    /// <summary>The User-Agent; null = a User-Agent header among <see cref="Headers"/>, else ResumeTransfer's own.</summary>
    string? UserAgent { get; }
}
