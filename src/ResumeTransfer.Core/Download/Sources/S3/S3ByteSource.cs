using System;
using System.Globalization;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Amazon.S3;
using Amazon.S3.Model;
using ResumeTransfer.Core.Download.Sources.Http;
using ResumeTransfer.Core.S3;
using ResumeTransfer.Core.Transfer;
using S3Location = ResumeTransfer.Core.S3.S3Location;

namespace ResumeTransfer.Core.Download.Sources.S3;

/// <summary>
/// An S3 object as an <see cref="IByteSource"/>, through AWSSDK.S3: the probe is a ranged GetObject of byte 0 (length
/// from its Content-Range, ETag, Last-Modified; its error document tells a missing bucket from a missing key), every
/// range a GetObject conditioned on the ETag first seen (If-Match), so an object overwritten mid-download answers 412
/// and the kernel starts over instead of splicing two versions. Ranges follow the object's part size
/// (<see cref="S3PartLayout"/>), else they are whole blocks of <see cref="UnpartedMinimumBytes"/> (only the last may be shorter).
/// </summary>
/// <remarks>Thread-safe: the engine opens ranges from several connections at once over the one client.</remarks>
internal sealed class S3ByteSource : IByteSource
{
    /// <summary>The block ranges of an object with no known part size are cut in (a request per 8 MiB or more keeps its cost small).</summary>
    public const long UnpartedMinimumBytes = 8 * 1024 * 1024;

    private readonly DownloadRequest request;
    private readonly ITransferObserver observer;
    private readonly TimeProvider time;
    private readonly S3Location location;
    private readonly IAmazonS3 client;
    private readonly string where;

    /// <summary>Creates the source and its S3 client (-Endpoint, -Region, -Credential); nothing is sent until <see cref="ProbeAsync"/>.</summary>
    public S3ByteSource(DownloadRequest request, ITransferObserver observer, TimeProvider timeProvider)
    {
        this.request = request ?? throw new ArgumentNullException(nameof(request));
        this.observer = observer ?? throw new ArgumentNullException(nameof(observer));
        time = timeProvider ?? TimeProvider.System;
        location = S3Location.ParseObject(request.Uri);
        DisplayUri = HttpOrigin.ForDisplay(request.Uri);
        where = request.Endpoint is { } endpoint ? $"{location} at {HttpOrigin.ForDisplay(endpoint).AbsoluteUri}" : location.ToString();
        client = S3ClientFactory.Create(request, request.Connections);
    }

    /// <inheritdoc />
    public Uri DisplayUri { get; }

    /// <summary>Refuses, before any traffic, an address this source cannot work with: no key, a prefix, a bad bucket name, credentials or a query in it.</summary>
    public static void Validate(DownloadRequest request) => S3Location.ParseObject(request.Uri);

    /// <summary>GetObject of byte 0, then, for an object stored in parts, a HEAD of part 1 for the part size.</summary>
    public async Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = new GetObjectRequest { BucketName = location.Bucket, Key = location.Key, ByteRange = new ByteRange(0, 0) };
        RemoteIdentity? identity = null;
        try
        {
            using var response = await SendAsync(probe, $"Probing {where}", cancellationToken).ConfigureAwait(false);
            if (response.HttpStatusCode != HttpStatusCode.PartialContent)
            {
                identity = IdentityOf(response, response.ContentLength);
            }
            else if (ContentRangeHeader.TryParse(response.ContentRange, out var range) && !range.IsUnsatisfied && range.CompleteLength is { } total)
            {
                identity = IdentityOf(response, total);
            }

            // else a 206 whose Content-Range cannot be (s3rver answers "bytes 0-0/0" for an empty object): the HEAD says.
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            // Not even byte 0: an empty object. Its HEAD has the ETag.
        }

        if (identity is null)
        {
            var head = await HeadAsync(partNumber: null, cancellationToken).ConfigureAwait(false);
            identity = new RemoteIdentity(head.ContentLength, head.ETag, ToOffset(head.LastModified), LastModifiedIsStrong: false);
        }

        var grid = await GridAsync(identity, cancellationToken).ConfigureAwait(false);
        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"{where}: length {identity.Length?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}, ETag {identity.ETag ?? "none"}, ranges of {grid.MinimumBytes} bytes on multiples of {grid.Alignment}.");
        return new SourceProbe(identity, SupportsRanges: true, SuggestedFileName: TargetPaths.LastSegment(location.Key), DisplayUri) { Grid = grid };
    }

    /// <inheritdoc />
    public async Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken)
    {
        RangeArguments.Check(offset, endInclusive, expected);
        var last = endInclusive ?? (expected.Length is { } length ? length - 1 : (long?)null);
        var get = new GetObjectRequest
        {
            BucketName = location.Bucket,
            Key = location.Key,
            ByteRange = last is { } l ? new ByteRange(offset, l) : new ByteRange($"bytes={offset.ToString(CultureInfo.InvariantCulture)}-"),
        };
        if (expected.ETag is { Length: > 0 } etag)
        {
            get.EtagToMatch = etag;
        }

        GetObjectResponse response;
        try
        {
            response = await SendAsync(get, $"Reading bytes {offset}-{last?.ToString(CultureInfo.InvariantCulture)} of {where}", cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new TransferException(TransferErrorKind.RemoteChanged, $"{where} was overwritten during the download (its ETag is no longer {expected.ETag}).", ex) { StatusCode = 412 };
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            throw new TransferException(TransferErrorKind.RemoteChanged, $"{where} no longer has bytes from {offset}: it was replaced by a shorter object.", ex) { StatusCode = 416 };
        }

        try
        {
            if (response.HttpStatusCode != HttpStatusCode.PartialContent)
            {
                // The store ignored the range: this is the whole object, maybe of another version; the kernel decides.
                var whole = IdentityOf(response, response.ContentLength);
                return new RangeBody(RangeAnswer.Whole, 0, response.ContentLength, whole, Body(response, response.ContentLength, cancellationToken));
            }

            var range = ReadRange(response);
            var identity = IdentityOf(response, range.CompleteLength);
            if (!identity.IsSameVersionAs(expected))
            {
                throw new TransferException(TransferErrorKind.RemoteChanged, $"{where} changed during the download ({RemoteChangeDescription.Describe(expected, identity)}).");
            }

            if (range.First != offset || (last is { } want && range.Last != want))
            {
                throw new TransientTransferException(
                    TransferErrorKind.ProtocolViolation,
                    $"{where} answered bytes {range.First}-{range.Last} when bytes {offset}-{last} were asked for.");
            }

            return new RangeBody(RangeAnswer.Partial, offset, range.RangeLength, identity, Body(response, range.RangeLength, cancellationToken));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>Disposes the S3 client (this source made it).</summary>
    public void Dispose() => client.Dispose();

    private static DateTimeOffset? ToOffset(DateTime? value) =>
        value is { } v ? new DateTimeOffset(v.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(v, DateTimeKind.Utc) : v.ToUniversalTime()) : null;

    private static RemoteIdentity IdentityOf(GetObjectResponse response, long? length) =>
        new(length, response.ETag, ToOffset(response.LastModified), LastModifiedIsStrong: false);

    /// <summary>The Content-Range of a 206, checked: a store that sends none (or nonsense) is not trusted with a range.</summary>
    private ContentRangeHeader ReadRange(GetObjectResponse response)
    {
        if (!ContentRangeHeader.TryParse(response.ContentRange, out var range) || range.IsUnsatisfied || range.CompleteLength is null)
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} answered a ranged GetObject with 206 but the Content-Range '{response.ContentRange}' does not say which bytes of how many.");
        }

        return range;
    }

    private ValidatedBodyStream Body(GetObjectResponse response, long? length, CancellationToken openToken) =>
        new(response, response.ResponseStream, length, request.StallTimeout, time, openToken, DisplayUri);

    /// <summary>How to cut the object: by its parts when it has several (S3PartLayout), else in ranges of at least 8 MiB.</summary>
    private async Task<SegmentGrid> GridAsync(RemoteIdentity identity, CancellationToken cancellationToken)
    {
        if (identity.Length is not { } total || S3PartLayout.PartCountFromETag(identity.ETag) is not { } parts)
        {
            return SegmentGrid.Parts(UnpartedMinimumBytes, UnpartedMinimumBytes);
        }

        long? partBytes = null;
        int? reportedParts = null;
        try
        {
            var head = await HeadAsync(partNumber: 1, cancellationToken).ConfigureAwait(false);
            partBytes = head.ContentLength;
            reportedParts = head.PartsCount;
        }
        catch (TransferException ex)
        {
            // The part size only aligns ranges (speed, never correctness): a store that cannot say, or fails to say
            // now, gets the estimate rather than a failed download.
            observer.OnMessage(TransferMessageLevel.Verbose, $"{where}: the store does not tell part 1's size ({ex.Message}); estimating it from the ETag's part count.");
        }

        var layout = S3PartLayout.From(total, parts, partBytes, reportedParts);
        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"{where} was stored in {layout.Parts} parts of {layout.PartBytes} bytes{(layout.Measured ? string.Empty : " (estimated from its ETag)")}: ranges start on part boundaries.");
        return SegmentGrid.Parts(layout.PartBytes, SegmentGrid.Default.MinimumBytes);
    }

    private Task<GetObjectMetadataResponse> HeadAsync(int? partNumber, CancellationToken cancellationToken)
    {
        var head = new GetObjectMetadataRequest { BucketName = location.Bucket, Key = location.Key };
        if (partNumber is { } n)
        {
            head.PartNumber = n;
        }

        return CallAsync(t => client.GetObjectMetadataAsync(head, t), $"Asking {where} for its {(partNumber is null ? "metadata" : "part size")}", cancellationToken);
    }

    private Task<GetObjectResponse> SendAsync(GetObjectRequest get, string what, CancellationToken cancellationToken) =>
        CallAsync(t => client.GetObjectAsync(get, t), what, cancellationToken, rethrow: ex => ex.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.RequestedRangeNotSatisfiable);

    /// <summary>
    /// One SDK call under the stall timeout (a store that accepts the connection and never answers is a stall, retried),
    /// its failures mapped by <see cref="S3Failures"/>; the S3 errors <paramref name="rethrow"/> selects go through as they are.
    /// </summary>
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<T>> call, string what, CancellationToken cancellationToken, Func<AmazonS3Exception, bool>? rethrow = null)
    {
        using var timeout = new StallWatchdog(time, request.StallTimeout, cancellationToken, armed: true);
        try
        {
            return await call(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException ex)
        {
            // Nobody cancelled: the stall timer fired, or the SDK's own HttpClient timeout did. Either is a stall, retried.
            throw new TransientTransferException(
                TransferErrorKind.TransferTimedOut,
                timeout.Fired ? $"{what}: no answer within {request.StallTimeout.TotalSeconds:0.###} s." : $"{what}: the S3 request timed out ({ex.Message}).",
                ex);
        }
        catch (AmazonS3Exception ex) when (rethrow?.Invoke(ex) == true)
        {
            throw;
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
}
