using System;
using System.Collections.Generic;
using System.Net;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>Which upload protocol to speak.</summary>
public enum UploadProtocolKind
{
    /// <summary>s3:// addresses are S3; for http(s) the server is asked (tus OPTIONS), and an error says so when it cannot tell.</summary>
    Auto,
    /// <summary>tus 1.0.0: the Uri is the creation endpoint.</summary>
    Tus,
    /// <summary>S3 multipart upload: the Uri is s3://bucket/key (or s3://bucket/prefix/ to append the file name).</summary>
    S3,
    /// <summary>The project's documented chunk API (docs/chunk-api.md): the Uri is the receiver's upload URL.</summary>
    ChunkApi,
}

/// <summary>What to do when an unfinished upload of the same source exists (its state file).</summary>
public enum ExistingUploadPolicy
{
    /// <summary>Fail with <see cref="TransferErrorKind.TargetExists"/>, touching nothing (neither the state nor the server upload).</summary>
    Fail,
    /// <summary>Continue the recorded upload, asking the server what it already holds; start one when there is none.</summary>
    Resume,
    /// <summary>Abandon the recorded upload (tus DELETE, S3 Abort) and start a new one.</summary>
    Overwrite,
}

/// <summary>
/// One upload, as the caller asked for it. Immutable once handed to the engine. Its <see cref="TransferRequest.Uri"/> is
/// where to: <c>s3://bucket/key</c>, <c>s3://bucket/prefix/</c> (the file name is appended), a tus creation endpoint or a
/// chunk-API URL. For S3 the <see cref="TransferRequest.Credential"/> is the access key (user name) and secret (password);
/// when null the AWS SDK's default chain (environment, profile) is used.
/// </summary>
public sealed record UploadRequest : TransferRequest
{
    /// <summary>Default parallel connections for protocols that allow them (S3, chunk API); tus is always sequential.</summary>
    public const int DefaultConnections = 4;

    /// <summary>The local file to upload (full path).</summary>
    public required string Path { get; init; }

    public UploadProtocolKind Protocol { get; init; } = UploadProtocolKind.Auto;

    /// <summary>Bytes per chunk (S3 part, tus PATCH, chunk-API POST); null = the protocol's default. Grown automatically when the file would need more chunks than the protocol allows.</summary>
    public long? ChunkSize { get; init; }

    public ExistingUploadPolicy ExistingUpload { get; init; } = ExistingUploadPolicy.Fail;

    /// <summary>Parallel chunk uploads, where the protocol allows (capped by <see cref="IUploadProtocol.MaximumConnections"/>).</summary>
    public int Connections { get; init; } = DefaultConnections;

    /// <summary>User metadata: tus Upload-Metadata entries, S3 x-amz-meta-*, chunk-API fields.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Content type of the stored object, where the protocol records one.</summary>
    public string? ContentType { get; init; }

    /// <summary>Chunk API: the convention of the server (profile, field map); the default is docs/chunk-api.md.</summary>
    public ChunkApi.ChunkApiProfileOptions ChunkApi { get; init; } = new();

}
