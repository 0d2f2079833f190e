using System;

namespace ResumeTransfer.Core.Download;

/// <summary>What a finished download did. The cmdlet emits it with -PassThru.</summary>
public sealed class DownloadResult
{
    /// <summary>The finished file.</summary>
    public required string Path { get; init; }

    /// <summary>The address asked for.</summary>
    public required Uri Uri { get; init; }

    public long Length { get; init; }

    /// <summary>Bytes fetched over the network in this run.</summary>
    public long BytesDownloaded { get; init; }

    /// <summary>Bytes kept from an earlier run.</summary>
    public long BytesResumed { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>Bytes fetched in this run divided by its duration.</summary>
    public double AverageBytesPerSecond { get; init; }

    /// <summary>Hex hash of the file, when computed.</summary>
    public string? Hash { get; init; }

    public string? HashAlgorithm { get; init; }

    /// <summary>Connections actually used.</summary>
    public int Connections { get; init; }

    public string? ETag { get; init; }

    public DateTimeOffset? LastModified { get; init; }

    /// <summary>True when earlier partial data was discarded because the remote changed or ignored the range.</summary>
    public bool Restarted { get; init; }
}
