using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using ResumeTransfer.Core.S3;
using S3Location = ResumeTransfer.Core.S3.S3Location;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.S3;

/// <summary>
/// S3 multipart upload driven call by call with AWSSDK.S3 (the SDK's TransferUtility cannot be resumed and does not
/// work against S3-compatible test servers with the settings they need): CreateMultipartUpload, UploadPart with
/// Content-MD5 and the returned ETag checked against the part's MD5, ListParts with every page (the server is the
/// truth on resume; a server that cannot list parts leaves the engine to its journal), CompleteMultipartUpload with
/// the parts in order and the multipart ETag checked, AbortMultipartUpload. Parts go in parallel.
/// </summary>
public sealed class S3MultipartProtocol : IUploadProtocol
{
    private const long MiB = 1024 * 1024;
    private const int MaximumParts = 10_000;

    private readonly IAmazonS3 client;
    private readonly bool ownsClient;
    private readonly UploadRequest request;
    private readonly ITransferObserver observer;
    private readonly S3Location location;
    private readonly string? endpoint;

    /// <summary>Builds an S3 client from the request: -Endpoint, -Region, -Credential or the SDK's default chain (<see cref="S3ClientFactory"/>).</summary>
    public S3MultipartProtocol(UploadRequest request, ITransferObserver observer)
        : this(request, observer, S3ClientFactory.Create(request, connections: null), ownsClient: true)
    {
    }

    /// <summary>Uses the given client (the caller keeps it).</summary>
    public S3MultipartProtocol(UploadRequest request, ITransferObserver observer, IAmazonS3 client)
        : this(request, observer, client, ownsClient: false)
    {
    }

    private S3MultipartProtocol(UploadRequest request, ITransferObserver observer, IAmazonS3 client, bool ownsClient)
    {
        this.request = request;
        this.observer = observer;
        this.client = client;
        this.ownsClient = ownsClient;
        location = S3Location.Parse(request.Uri, System.IO.Path.GetFileName(request.Path));
        endpoint = request.Endpoint is null ? null : HttpOrigin.ForDisplay(request.Endpoint).AbsoluteUri;
        Target = endpoint is null ? location.ToString() : $"{location} at {endpoint}";
    }

    public UploadProtocolKind Kind => UploadProtocolKind.S3;

    public UploadAddressing Addressing => UploadAddressing.Parts;

    /// <summary>Parts of 5 MiB (S3's minimum, except the last) to 5 GiB, 8 MiB by default, at most 10,000 of them.</summary>
    public ChunkLimits ChunkLimits { get; } = new(5 * MiB, 5L * 1024 * MiB, 8 * MiB, MaximumParts);

    public int MaximumConnections => 32;

    public string Target { get; }

    /// <summary>Parts per ListParts page (S3's maximum is 1,000; tests use less to exercise paging).</summary>
    internal int ListPartsPageSize { get; init; } = 1000;

    /// <summary>The bucket and key this upload writes.</summary>
    public S3Location Location => location;

    /// <summary>The ETag S3 gives a multipart object: hex MD5 of the parts' binary MD5s, "-", the part count.</summary>
    public static string MultipartETag(IEnumerable<string> partMd5Hex)
    {
        var md5s = partMd5Hex.ToList();
        var joined = md5s.SelectMany(Hex.ToBytes).ToArray();
        using var md5 = MD5.Create();
        return $"{Hex.Lower(md5.ComputeHash(joined))}-{md5s.Count.ToString(CultureInfo.InvariantCulture)}";
    }

    public async Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken)
    {
        var create = new InitiateMultipartUploadRequest { BucketName = location.Bucket, Key = location.Key };
        if (request.ContentType is not null)
        {
            create.ContentType = request.ContentType;
        }

        foreach (var pair in request.Metadata)
        {
            create.Metadata.Add(pair.Key, pair.Value);
        }

        var response = await CallAsync(t => client.InitiateMultipartUploadAsync(create, t), $"Starting the upload of {location}", cancellationToken).ConfigureAwait(false);
        observer.OnMessage(TransferMessageLevel.Verbose, $"Started S3 multipart upload {response.UploadId} for {location}.");
        return new UploadSession { UploadId = response.UploadId, ChunkSize = chunkSize, Properties = Properties() };
    }

    public async Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken)
    {
        var (bucket, key) = BucketAndKey(session);
        var parts = new List<ChunkReceipt>();
        string? marker = null;
        var markerNumber = 0;
        try
        {
            while (true)
            {
                var list = new ListPartsRequest { BucketName = bucket, Key = key, UploadId = session.UploadId, MaxParts = ListPartsPageSize };
                if (marker is not null)
                {
                    list.PartNumberMarker = marker;
                }

                var page = await client.ListPartsAsync(list, cancellationToken).ConfigureAwait(false);
                foreach (var part in page.Parts ?? new List<PartDetail>())
                {
                    var number = part.PartNumber ?? 0;
                    var offset = (number - 1) * session.ChunkSize;
                    parts.Add(new ChunkReceipt(number, offset, part.Size ?? -1, Md5Of(part.ETag), part.ETag));
                }

                if (page.IsTruncated != true)
                {
                    break;
                }

                // Part numbers end at 10,000 and each page must start after the last: a server that keeps saying
                // "truncated" cannot keep the client listing for ever.
                var next = page.NextPartNumberMarker;
                if (next is not { } n || n <= markerNumber || n > MaximumParts || parts.Count > MaximumParts)
                {
                    throw new TransferException(
                        TransferErrorKind.ProtocolViolation,
                        $"S3 said the part list of {location} goes on after {parts.Count} parts, but its next marker ({next?.ToString(CultureInfo.InvariantCulture) ?? "none"}) does not move forward within the {MaximumParts} parts an upload can have. The server does not follow the S3 API; use -Force to start a new upload.");
                }

                markerNumber = n;
                marker = n.ToString(CultureInfo.InvariantCulture);
            }
        }
        catch (AmazonS3Exception ex) when (S3Failures.IsNoSuchUpload(ex))
        {
            return null;
        }
        catch (AmazonS3Exception ex) when (S3Failures.IsNotImplemented(ex))
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"The S3 server cannot list the parts of an upload ({(int)ex.StatusCode} {ex.ErrorCode}).");
            return new ServerUploadStatus { Parts = null };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw S3Failures.Map(ex, $"Listing the parts of {location}");
        }

        return new ServerUploadStatus { Parts = parts };
    }

    public async Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var (bucket, key) = BucketAndKey(session);
        var md5 = await source.HashChunkAsync(chunk, HashAlgorithmName.MD5, cancellationToken).ConfigureAwait(false);
        var md5Hex = Hex.Lower(md5);
        using var body = new ProgressReportingStream(source.OpenChunk(chunk.Offset, chunk.Length), progress);
        var upload = new UploadPartRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = session.UploadId,
            PartNumber = chunk.Number,
            PartSize = chunk.Length,
            InputStream = body,
            MD5Digest = Convert.ToBase64String(md5),
            UseChunkEncoding = false,
        };
        var response = await CallAsync(t => client.UploadPartAsync(upload, t), $"Sending part {chunk.Number} of {location}", cancellationToken).ConfigureAwait(false);
        var etag = response.ETag;
        if (!string.Equals(Md5Of(etag), md5Hex, StringComparison.OrdinalIgnoreCase))
        {
            throw new TransientTransferException(
                TransferErrorKind.IntegrityCheckFailed,
                $"S3 stored part {chunk.Number} of {location} with ETag {etag}, not the MD5 of the bytes sent ({md5Hex}); sending it again.");
        }

        return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length, md5Hex, etag);
    }

    public async Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken)
    {
        var (bucket, key) = BucketAndKey(session);
        var ordered = parts.OrderBy(p => p.Number).ToList();
        var missing = ordered.Where(p => p.Md5 is null).Select(p => p.Number).ToList();
        if (missing.Count > 0)
        {
            throw new TransferException(TransferErrorKind.InvalidState, $"The MD5 of parts {string.Join(", ", missing)} of {location} is unknown. Run the command again with -Force to start over.");
        }

        var expected = MultipartETag(ordered.Select(p => p.Md5!));
        var complete = new CompleteMultipartUploadRequest
        {
            BucketName = bucket,
            Key = key,
            UploadId = session.UploadId,
            PartETags = ordered.Select(p => new PartETag { PartNumber = p.Number, ETag = p.ETag ?? Quote(p.Md5!) }).ToList(),
        };

        string? etag = null;
        AmazonS3Exception? gone = null;
        try
        {
            var response = await client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
            etag = response.ETag;
        }
        catch (AmazonS3Exception ex) when (S3Failures.IsNoSuchUpload(ex))
        {
            gone = ex;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw S3Failures.Map(ex, $"Completing the upload of {location}");
        }

        if (gone is not null)
        {
            // An earlier attempt may have completed it and lost the answer: the object's ETag tells. The lookup is a call
            // of its own, outside the catch above, so that its failures are classified (and retried) like any other.
            etag = await CallAsync(t => ExistingETagAsync(bucket, key, t), $"Looking for {location} after S3 reported its upload gone", cancellationToken).ConfigureAwait(false);
            if (!string.Equals(Unquote(etag), expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new TransferException(
                    TransferErrorKind.NotFound,
                    $"S3 no longer has the multipart upload {session.UploadId} of {location} (it was aborted or expired). Run the command again with -Resume to start a new upload.",
                    gone);
            }
        }

        await VerifyETagAsync(etag, expected, ordered.Count, source, cancellationToken).ConfigureAwait(false);
        return new UploadCompletion(ETag: etag);
    }

    /// <summary>
    /// The stored object's ETag must be the multipart ETag of the parts sent. Some S3-compatible stores (s3rver) report
    /// the MD5 of the whole object instead: that is checked against the file, which proves at least as much.
    /// </summary>
    private async Task VerifyETagAsync(string? etag, string expected, int partCount, UploadSource source, CancellationToken cancellationToken)
    {
        if (string.Equals(Unquote(etag), expected, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (Md5Of(etag) is { } wholeObjectMd5)
        {
            var local = await source.Md5HexAsync(new UploadChunk(1, 0, source.Length), cancellationToken).ConfigureAwait(false);
            if (string.Equals(local, wholeObjectMd5, StringComparison.OrdinalIgnoreCase))
            {
                observer.OnMessage(TransferMessageLevel.Verbose, $"The S3 server reported the MD5 of the whole object as ETag ({etag}); it matches the file.");
                return;
            }
        }

        throw new TransferException(
            TransferErrorKind.IntegrityCheckFailed,
            $"S3 completed {location} with ETag {etag}, but its {partCount} parts make {expected}: the stored object is not what was sent. Upload it again with -Force.");
    }

    public async Task AbortAsync(UploadSession session, CancellationToken cancellationToken)
    {
        var (bucket, key) = BucketAndKey(session);
        try
        {
            await client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = session.UploadId }, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (S3Failures.IsNoSuchUpload(ex))
        {
            // Already gone: that is what abandoning wants.
        }
        catch (AmazonS3Exception ex) when (S3Failures.IsNotImplemented(ex))
        {
            throw new TransferException(TransferErrorKind.HttpError, $"The S3 server cannot abort multipart uploads ({(int)ex.StatusCode} {ex.ErrorCode}).", ex) { StatusCode = (int)ex.StatusCode };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw S3Failures.Map(ex, $"Aborting the upload {session.UploadId} of {key}");
        }
    }

    public void Dispose()
    {
        if (ownsClient)
        {
            client.Dispose();
        }
    }

    private static string? Md5Of(string? etag)
    {
        var value = Unquote(etag);
        return value is { Length: 32 } && value.All(Uri.IsHexDigit) ? value.ToLowerInvariant() : null;
    }

    private static string? Unquote(string? etag) => etag?.Trim().Trim('"');

    private static string Quote(string md5) => "\"" + md5 + "\"";

    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var mapped = S3Failures.Map(ex, what);
            if (ReferenceEquals(mapped, ex))
            {
                throw;
            }

            throw mapped;
        }
    }

    private async Task<string?> ExistingETagAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await client.GetObjectMetadataAsync(bucket, key, cancellationToken).ConfigureAwait(false);
            return head.ETag;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private Dictionary<string, string> Properties()
    {
        var properties = new Dictionary<string, string> { ["bucket"] = location.Bucket, ["key"] = location.Key };
        if (endpoint is not null)
        {
            properties["endpoint"] = endpoint;
        }

        return properties;
    }

    /// <summary>Bucket and key of a session (an older session may be for another key: Abort must use its own).</summary>
    private (string Bucket, string Key) BucketAndKey(UploadSession session) =>
        (session.Properties.TryGetValue("bucket", out var bucket) ? bucket : location.Bucket,
         session.Properties.TryGetValue("key", out var key) ? key : location.Key);
}
