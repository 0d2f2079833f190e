using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// One upload protocol (tus, S3 multipart, chunk API) as the <see cref="UploadEngine"/> drives it. The engine owns
/// everything protocol-neutral: the source fingerprint, the state file and its lock, chunk planning, parallelism,
/// retries, progress and cancellation. A protocol only talks to its server.
/// <para>
/// Every method is ONE attempt: the engine runs each call inside the retry pipeline. Throw
/// <see cref="TransientTransferException"/> for what a retry may fix (connection reset, 5xx, 429 with RetryAfter, a
/// stall, a checksum the server rejected), <see cref="TransferException"/> for what it will not (401/403 =
/// <see cref="TransferErrorKind.AccessDenied"/>, other 4xx = <see cref="TransferErrorKind.HttpError"/>, an answer the
/// protocol forbids = <see cref="TransferErrorKind.ProtocolViolation"/>). Let <see cref="OperationCanceledException"/>
/// through when the token is cancelled. Implementations must be safe for concurrent
/// <see cref="SendChunkAsync"/> calls when <see cref="MaximumConnections"/> is above 1.
/// </para>
/// <para>
/// A protocol gets what it needs from the <see cref="UploadRequest"/> given to its constructor (Uri, headers,
/// credential, metadata, content type). Nothing it puts in an <see cref="UploadSession"/> may be a secret: sessions
/// are written to the state file.
/// </para>
/// </summary>
public interface IUploadProtocol : IDisposable
{
    UploadProtocolKind Kind { get; }

    /// <summary>How the server addresses progress: a contiguous offset (tus) or numbered parts (S3, chunk API).</summary>
    UploadAddressing Addressing { get; }

    /// <summary>Chunk-size rules; the engine applies them (default, growth to fit <see cref="ChunkLimits.MaximumCount"/>, minimum/maximum checks).</summary>
    ChunkLimits ChunkLimits { get; }

    /// <summary>The most chunks in flight at once (1 for tus).</summary>
    int MaximumConnections { get; }

    /// <summary>
    /// Where this upload goes, as a stable, secret-free string (e.g. <c>s3://bucket/key</c>, or the tus endpoint): a
    /// state file whose target differs belongs to another upload.
    /// </summary>
    string Target { get; }

    /// <summary>Starts a new server-side upload (tus POST, S3 CreateMultipartUpload, chunk-API init) for <paramref name="source"/>.</summary>
    /// <param name="source">The file, its length and file name.</param>
    /// <param name="chunkSize">The chunk size the engine chose; store it in the session if the protocol needs it.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken);

    /// <summary>
    /// Asks the server what it holds for <paramref name="session"/> (tus HEAD, S3 ListParts with every page, chunk-API
    /// status). Returns null when the upload is gone (404/410, NoSuchUpload, expired): the engine then starts a new one
    /// with a warning.
    /// </summary>
    Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken);

    /// <summary>
    /// Sends one chunk and returns once the server acknowledged it, after checking the server's answer end to end (S3:
    /// ETag equals the part's MD5; tus: new Upload-Offset, Upload-Checksum when supported; chunk API: md5). Open the
    /// bytes with <see cref="UploadSource.OpenChunk"/>; stream them, do not buffer the file.
    /// For <see cref="UploadAddressing.Offset"/> protocols the server's offset is the truth: when it may differ from
    /// <see cref="UploadChunk.Offset"/> (a cut-off or refused earlier attempt), ask for it first and send from the server's
    /// offset up to <see cref="UploadChunk.End"/>; the receipt then reports the bytes actually sent. An offset mismatch
    /// found while sending (tus 409) ends the attempt with a <see cref="TransientTransferException"/>: the engine's retry,
    /// not a loop in the protocol, asks again.
    /// </summary>
    /// <param name="session">The upload.</param>
    /// <param name="source">The file.</param>
    /// <param name="chunk">The bytes to send.</param>
    /// <param name="progress">Call with the count of payload bytes handed to the network so far in this attempt (for speed display); may be ignored.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the upload (S3 CompleteMultipartUpload with every part in order, chunk-API merge, tus: a final HEAD that
    /// the offset equals the length) and checks the result (S3: the expected multipart ETag; chunk API: size and hash).
    /// When the server lacks parts it had acknowledged, return them in <see cref="UploadCompletion.MissingParts"/> rather
    /// than sending them here: the engine sends them, then calls this again.
    /// </summary>
    /// <param name="session">The upload.</param>
    /// <param name="source">The file.</param>
    /// <param name="parts">For <see cref="UploadAddressing.Parts"/>: every part, ordered by number, each with the checksum/ETag the server acknowledged. Empty for offset protocols.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken);

    /// <summary>
    /// Abandons a server-side upload (tus DELETE, S3 AbortMultipartUpload). Work from <paramref name="session"/> alone: it
    /// may be an older upload of the same source to another target. An upload that is already gone is not an error.
    /// </summary>
    Task AbortAsync(UploadSession session, CancellationToken cancellationToken);
}

/// <summary>How a protocol's server tracks what it holds.</summary>
public enum UploadAddressing
{
    /// <summary>One contiguous prefix [0, offset) (tus): chunks go strictly in order, one at a time.</summary>
    Offset,
    /// <summary>Numbered parts, each stored on its own (S3, chunk API): any order, in parallel.</summary>
    Parts,
}

/// <summary>A protocol's chunk-size rules.</summary>
/// <param name="Minimum">Smallest chunk (except the last); a requested size below it is an InvalidArgument error.</param>
/// <param name="Maximum">Largest chunk.</param>
/// <param name="Default">Used when the caller gives none.</param>
/// <param name="MaximumCount">The most chunks one upload may have (S3: 10,000); the chunk size grows so the file fits.</param>
public sealed record ChunkLimits(long Minimum, long Maximum, long Default, int MaximumCount)
{
    /// <summary>The grid's last chunk takes the remainder, up to twice the chunk size (flow.js, resumable.js): see <see cref="ChunkPlanner.CountFor"/>.</summary>
    public bool LastChunkTakesRemainder { get; init; }

    /// <summary>
    /// The server assembles the file as soon as it holds every chunk (flow.js, resumable.js: no merge call), so the
    /// engine holds one chunk back until the others are acknowledged and the source is checked again.
    /// </summary>
    public bool ServerAssemblesWhenComplete { get; init; }
}

/// <summary>
/// A slice of the source: bytes [<see cref="Offset"/>, <see cref="End"/>). Chunks lie on a grid of the session's chunk
/// size, so <see cref="Number"/> = Offset / ChunkSize + 1 is also the S3 part number (the chunk API's 0-based index is
/// Number - 1). For offset protocols the first chunk may start mid-grid (at the server's offset).
/// </summary>
/// <param name="Number">1-based chunk (part) number.</param>
/// <param name="Offset">First byte.</param>
/// <param name="Length">Byte count (0 only for the single chunk of an empty file).</param>
public sealed record UploadChunk(int Number, long Offset, long Length)
{
    /// <summary>One past the last byte.</summary>
    public long End => Offset + Length;
}

/// <summary>What the server acknowledged for one chunk; the engine journals it in the state file.</summary>
/// <param name="Number">The chunk (part) number.</param>
/// <param name="Offset">First byte of the chunk.</param>
/// <param name="Length">Bytes the chunk covers.</param>
/// <param name="Md5">Hex MD5 of the chunk's bytes (S3 part ETag, chunk-API md5), when the protocol checks one.</param>
/// <param name="ETag">The server's tag for the part exactly as sent (S3 needs it for Complete), when any.</param>
public sealed record ChunkReceipt(int Number, long Offset, long Length, string? Md5 = null, string? ETag = null)
{
    /// <summary>Offset protocols: the server's Upload-Offset after this chunk.</summary>
    public long? ServerOffset { get; init; }

    /// <summary>The server turned out to hold this chunk already (a test call before sending), so nothing was sent: counted as skipped.</summary>
    public bool AlreadyHeld { get; init; }

    /// <summary>
    /// Payload bytes actually sent for this chunk when that differs from <see cref="Length"/> (less when the server
    /// already had some, more when part of it had to be sent twice); null = <see cref="Length"/>.
    /// </summary>
    public long? BytesSent { get; init; }
}

/// <summary>What the server holds of an upload.</summary>
public sealed class ServerUploadStatus
{
    /// <summary>Offset protocols: the server holds [0, Offset).</summary>
    public long Offset { get; init; }

    /// <summary>
    /// Parts protocols: the parts the server holds (with their size and ETag/md5), or null when the server cannot list
    /// them (s3rver answers ListParts with 405): the engine then trusts its own journal of acknowledged parts.
    /// </summary>
    public IReadOnlyList<ChunkReceipt>? Parts { get; init; }
}

/// <summary>
/// A server-side upload, as recorded in the state file. Everything here is written to disk: no credentials, no
/// signatures, no Authorization.
/// </summary>
public sealed class UploadSession
{
    /// <summary>S3 UploadId or chunk-API upload id.</summary>
    public string? UploadId { get; init; }

    /// <summary>tus upload URL (Location resolved against the endpoint), or chunk-API upload URL.</summary>
    public Uri? UploadUrl { get; init; }

    /// <summary>The chunk grid; fixed for the life of the upload (S3 part numbers depend on it).</summary>
    public long ChunkSize { get; init; }

    /// <summary>Protocol-specific, secret-free extras (e.g. S3 bucket and key).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>How a finished upload ended on the server.</summary>
/// <param name="ETag">The stored object's ETag, when any.</param>
/// <param name="Hash">Hex hash of the stored content, when the server reports one.</param>
/// <param name="HashAlgorithm">Algorithm of <paramref name="Hash"/>.</param>
/// <param name="Location">Where the stored object can be found, when the server says.</param>
public sealed record UploadCompletion(string? ETag = null, string? Hash = null, string? HashAlgorithm = null, Uri? Location = null)
{
    /// <summary>
    /// Parts the server turned out not to hold when asked to finish (chunk API 409 chunks_missing), or null when it
    /// finished. The engine then sends them like any other chunk (retries, progress, journal) and completes again.
    /// </summary>
    public IReadOnlyList<UploadChunk>? MissingParts { get; init; }

    /// <summary>
    /// False when the server gave nothing to check the stored result against (no size, hash or ETag of the whole file):
    /// the upload ended with every chunk acknowledged, not with an end-to-end check.
    /// </summary>
    public bool Verified { get; init; } = true;
}
