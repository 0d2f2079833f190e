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

/// <summary>One download from the http(s), ftp(s) or s3 address <see cref="TransferRequest.Uri"/>, as the caller asked for it. Immutable once handed to the engine.</summary>
public sealed record DownloadRequest : TransferRequest
{
    /// <summary>Default parallel connections per file; see README for why 4.</summary>
    public const int DefaultConnections = 4;

    /// <summary>The most parallel connections per file: more to one server is abuse, not speed.</summary>
    public const int MaxConnections = 32;

    /// <summary>A full file path, or a directory when <see cref="OutputIsDirectory"/> (the name then comes from the server or URL).</summary>
    public required string OutputPath { get; init; }

    /// <summary>True when <see cref="OutputPath"/> is a directory.</summary>
    public bool OutputIsDirectory { get; init; }

    public ExistingTargetPolicy ExistingTarget { get; init; } = ExistingTargetPolicy.Fail;

    /// <summary>Parallel connections for this file (1 = sequential).</summary>
    public int Connections { get; init; } = DefaultConnections;

    /// <summary>Expected hash of the whole file, hex; the part file is renamed only when it matches.</summary>
    public string? ExpectedHash { get; init; }

    /// <summary>SHA256, SHA384, SHA512, SHA1 or MD5.</summary>
    public string HashAlgorithm { get; init; } = "SHA256";

    /// <summary>Compute the hash of the finished file even when no <see cref="ExpectedHash"/> is given (for the result).</summary>
    public bool ComputeHash { get; init; }

    public int MaximumRedirects { get; init; } = 10;
}
