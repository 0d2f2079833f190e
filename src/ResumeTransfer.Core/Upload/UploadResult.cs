using System;

namespace ResumeTransfer.Core.Upload;

/// <summary>What a finished upload did. The cmdlet emits it with -PassThru.</summary>
public sealed class UploadResult
{
    /// <summary>The uploaded local file.</summary>
    public required string Path { get; init; }

    /// <summary>The address asked for (no user info).</summary>
    public required Uri Uri { get; init; }

    /// <summary>Where the data went: s3://bucket/key, or the tus/chunk-API upload URL.</summary>
    public required string Target { get; init; }

    public UploadProtocolKind Protocol { get; init; }

    /// <summary>S3 bucket, when the protocol is S3.</summary>
    public string? Bucket { get; init; }

    /// <summary>S3 object key, when the protocol is S3.</summary>
    public string? Key { get; init; }

    public long Length { get; init; }

    /// <summary>Payload bytes the server acknowledged in this run.</summary>
    public long BytesSent { get; init; }

    /// <summary>Bytes the server already held from an earlier run, so not sent again.</summary>
    public long BytesSkipped { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary><see cref="BytesSent"/> divided by <see cref="Duration"/>.</summary>
    public double AverageBytesPerSecond { get; init; }

    /// <summary>S3 UploadId or chunk-API upload id.</summary>
    public string? UploadId { get; init; }

    /// <summary>tus upload URL (or chunk-API status URL).</summary>
    public Uri? UploadUrl { get; init; }

    /// <summary>The stored object's ETag as the server reported it (S3: the multipart ETag, checked).</summary>
    public string? ETag { get; init; }

    /// <summary>Hex hash of the stored content, when the protocol reports one.</summary>
    public string? Hash { get; init; }

    public string? HashAlgorithm { get; init; }

    /// <summary>Bytes per chunk actually used.</summary>
    public long ChunkSize { get; init; }

    /// <summary>Parallel connections actually used.</summary>
    public int Connections { get; init; }

    /// <summary>True when an earlier upload was abandoned (source changed, server upload expired, or -Force).</summary>
    public bool Restarted { get; init; }

    /// <summary>
    /// True when the server's answer at the end was checked against the file (chunk API: size and SHA-256 of the merged
    /// file; S3: the multipart ETag; tus: the final offset). False for servers that give nothing to check against
    /// (chunk API profiles Seed, Flow and Resumable): every chunk was acknowledged, but the stored file was not compared.
    /// </summary>
    public bool Verified { get; init; }
}
