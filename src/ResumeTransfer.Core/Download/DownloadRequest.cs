using System;
using System.Collections.Generic;
using System.Net;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>What to do when the target or a partial download already exists.</summary>
public enum ExistingTargetPolicy
{
    /// <summary>Fail with <see cref="TransferErrorKind.TargetExists"/>, touching nothing.</summary>
    Fail,
    /// <summary>Continue from the state beside the target (or from an existing target as a prefix, with a warning).</summary>
    Resume,
    /// <summary>Start over: the old part file, state and target are replaced once the new download completes.</summary>
    Overwrite,
}

/// <summary>One download, as the caller asked for it. Immutable once handed to the engine.</summary>
public sealed class DownloadRequest : IRequestOptions
{
    /// <summary>Default parallel connections per file; see README for why 4.</summary>
    public const int DefaultConnections = 4;

    /// <summary>The most parallel connections per file: more to one server is abuse, not speed.</summary>
    public const int MaxConnections = 32;

    /// <summary>The http(s) address.</summary>
    public required Uri Uri { get; init; }

    /// <summary>A full file path, or a directory when <see cref="OutputIsDirectory"/> (the name then comes from the server or URL).</summary>
    public required string OutputPath { get; init; }

    /// <summary>True when <see cref="OutputPath"/> is a directory.</summary>
    public bool OutputIsDirectory { get; init; }

    public ExistingTargetPolicy ExistingTarget { get; init; } = ExistingTargetPolicy.Fail;

    /// <summary>Parallel connections for this file (1 = sequential).</summary>
    public int Connections { get; init; } = DefaultConnections;

    /// <summary>Extra request headers. Authorization and Cookie among them are dropped when a redirect leaves the origin.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Sent as Basic authentication to the original origin only.</summary>
    public NetworkCredential? Credential { get; init; }

    /// <summary>Allow <see cref="Credential"/> or an Authorization header over plain http.</summary>
    public bool AllowUnencryptedAuthentication { get; init; }

    /// <summary>Allow a redirect (or a stored or announced upload URL) from https to plain http.</summary>
    public bool AllowInsecureRedirect { get; init; }

    /// <summary>Send the user's headers and credential to other origins too after a redirect (off: the requested origin only).</summary>
    public bool PreserveHeadersOnRedirect { get; init; }

    public string? UserAgent { get; init; }

    /// <summary>Expected hash of the whole file, hex; the part file is renamed only when it matches.</summary>
    public string? ExpectedHash { get; init; }

    /// <summary>SHA256, SHA384, SHA512, SHA1 or MD5.</summary>
    public string HashAlgorithm { get; init; } = "SHA256";

    /// <summary>Compute the hash of the finished file even when no <see cref="ExpectedHash"/> is given (for the result).</summary>
    public bool ComputeHash { get; init; }

    /// <summary>Retries per failure before giving up.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Base delay of the exponential back-off.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>A read that yields no byte for this long is a stall, retried from the bytes on disk.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The most a server's Retry-After may make us wait.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromMinutes(5);

    public int MaximumRedirects { get; init; } = 10;
}
