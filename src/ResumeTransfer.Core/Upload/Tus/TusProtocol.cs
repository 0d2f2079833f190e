using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.Tus;

/// <summary>
/// tus 1.0.0 (https://tus.io/protocols/resumable-upload): OPTIONS discovery, creation (POST with Upload-Length and
/// Upload-Metadata), HEAD for the server's Upload-Offset (the truth on resume and after any failed PATCH), PATCH with
/// application/offset+octet-stream streamed from the file, Upload-Checksum (sha1) when the server lists the checksum
/// extension, and DELETE (termination) to abandon. Sequential: one chunk at a time.
/// </summary>
public sealed class TusProtocol : IUploadProtocol
{
    /// <summary>The protocol version spoken, sent as Tus-Resumable on every request but OPTIONS.</summary>
    public const string Version = "1.0.0";

    private const long MiB = 1024 * 1024;
    private const string OffsetContentType = "application/offset+octet-stream";

    private static readonly string[] Controlled =
    {
        "Tus-Resumable", "Upload-Length", "Upload-Offset", "Upload-Metadata", "Upload-Checksum", "Upload-Defer-Length", "Upload-Concat", "Content-Type",
    };

    private readonly HttpClient client;
    private readonly UploadRequest request;
    private readonly ITransferObserver observer;
    private readonly RequestPolicy headers;
    private TusCapabilities? capabilities;
    private long? knownOffset;

    public TusProtocol(HttpClient client, UploadRequest request, ITransferObserver observer)
    {
        if (!HttpAddress.IsHttpOrHttps(request.Uri))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"A tus endpoint is an http(s) address, not '{HttpOrigin.ForDisplay(request.Uri)}'.");
        }

        this.client = client;
        this.request = request;
        this.observer = observer;
        headers = new RequestPolicy(request, Controlled, observer);
        Target = HttpOrigin.ForDisplay(request.Uri).AbsoluteUri;
    }

    public UploadProtocolKind Kind => UploadProtocolKind.Tus;

    public UploadAddressing Addressing => UploadAddressing.Offset;

    /// <summary>8 MiB by default, at least 64 KiB (smaller PATCHes only add round trips); the count is unlimited.</summary>
    public ChunkLimits ChunkLimits { get; } = new(64 * 1024, 4L * 1024 * MiB, 8 * MiB, int.MaxValue);

    public int MaximumConnections => 1;

    public string Target { get; }

    /// <summary>What the server said in OPTIONS (after the first call that needed it).</summary>
    public TusCapabilities? Capabilities => capabilities;

    /// <summary>
    /// Asks <paramref name="endpoint"/> with OPTIONS whether it is a tus server; null when it answers without tus headers.
    /// Throws <see cref="TransferException"/> when it cannot be reached.
    /// </summary>
    public static async Task<TusCapabilities?> DiscoverAsync(HttpClient client, Uri endpoint, RequestPolicy? headers, CancellationToken cancellationToken)
    {
        using var message = new HttpRequestMessage(HttpMethod.Options, endpoint);
        headers?.Apply(message);
        using var response = await SendAsync(client, message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            // Refused credentials, not "another protocol": say so, or -Protocol Auto would blame the protocol.
            throw HttpFailures.FromStatus(response, $"Asking {HttpOrigin.ForDisplay(endpoint)} which upload protocol it speaks");
        }

        return TusCapabilities.FromResponse(response);
    }

    public async Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken)
    {
        var caps = await GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        if (caps.Answered && !caps.Extensions.Contains("creation"))
        {
            throw new TransferException(TransferErrorKind.HttpError, $"The tus server at {Target} does not offer the creation extension, so it cannot start an upload.");
        }

        if (caps.MaxSize is { } max && source.Length > max)
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"The tus server at {Target} accepts at most {max} bytes (Tus-Max-Size); '{source.FileName}' has {source.Length}.");
        }

        using var message = NewRequest(HttpMethod.Post, request.Uri);
        message.Headers.Add("Upload-Length", source.Length.ToString(CultureInfo.InvariantCulture));
        message.Headers.TryAddWithoutValidation("Upload-Metadata", TusMetadata.Build(source.FileName, request.ContentType, request.Metadata));
        message.Content = new ByteArrayContent(Array.Empty<byte>());
        using var response = await SendAsync(client, message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw HttpFailures.FromStatus(response, $"Creating the tus upload of '{source.FileName}'");
        }

        if (response.Headers.Location is not { } location)
        {
            throw new TransferException(TransferErrorKind.ProtocolViolation, $"The tus server at {Target} created an upload but sent no Location. It does not follow tus 1.0.0.");
        }

        // Location may be relative (RFC 9110 §10.2.2): resolve it against the address the POST went to.
        var uploadUrl = location.IsAbsoluteUri ? location : new Uri(request.Uri, location);
        headers.CheckNotDowngraded(request.Uri, uploadUrl, "announced the upload URL");
        knownOffset = 0;
        observer.OnMessage(TransferMessageLevel.Verbose, $"Created tus upload {HttpOrigin.ForDisplay(uploadUrl)} for {source.Length} bytes.");
        return new UploadSession { UploadUrl = uploadUrl, ChunkSize = chunkSize };
    }

    public async Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken)
    {
        await GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        var head = await HeadAsync(UploadUrl(session), cancellationToken).ConfigureAwait(false);
        if (head is null)
        {
            return null;
        }

        if (head.Value.Length is { } length && length != source.Length)
        {
            observer.OnMessage(TransferMessageLevel.Warning, $"The tus upload {HttpOrigin.ForDisplay(UploadUrl(session))} is for {length} bytes, not {source.Length}: it belongs to other content.");
            return null;
        }

        knownOffset = head.Value.Offset;
        return new ServerUploadStatus { Offset = head.Value.Offset };
    }

    public async Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var url = UploadUrl(session);
        var caps = await GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        var offset = knownOffset ?? await RequireOffsetAsync(url, cancellationToken).ConfigureAwait(false);
        knownOffset = null;
        if (offset > source.Length)
        {
            throw new TransferException(
                TransferErrorKind.ProtocolViolation,
                $"The tus server says it holds {offset} bytes of {HttpOrigin.ForDisplay(url)}, more than the {source.Length} of '{source.FileName}'. It does not follow tus 1.0.0; use -Force to start a new upload.");
        }

        long sent = 0;
        while (offset < chunk.End)
        {
            var length = chunk.End - offset;
            var checksum = caps.SupportsSha1Checksum
                ? Convert.ToBase64String(await source.HashChunkAsync(new UploadChunk(chunk.Number, offset, length), HashAlgorithmName.SHA1, cancellationToken).ConfigureAwait(false))
                : null;
            using var body = new ProgressReportingStream(source.OpenChunk(offset, length), progress);
            using var message = NewRequest(new HttpMethod("PATCH"), url);
            message.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
            if (checksum is not null)
            {
                message.Headers.TryAddWithoutValidation("Upload-Checksum", "sha1 " + checksum);
            }

            message.Content = new StreamContent(body, UploadSource.SendBufferSize);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue(OffsetContentType);
            message.Content.Headers.ContentLength = length;

            // Until the server confirms the new offset, a cut-off PATCH may have stored any part of the chunk: knownOffset
            // stays null, so the next attempt asks with HEAD first.
            using var response = await SendAsync(client, message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            switch ((int)response.StatusCode)
            {
                case 204:
                case 200:
                    var next = ReadOffset(response) ?? throw new TransferException(
                        TransferErrorKind.ProtocolViolation, $"The tus server answered a PATCH to {HttpOrigin.ForDisplay(url)} without Upload-Offset. It does not follow tus 1.0.0.");
                    if (next < offset || next > offset + length)
                    {
                        throw new TransferException(
                            TransferErrorKind.ProtocolViolation, $"The tus server moved the offset of {HttpOrigin.ForDisplay(url)} from {offset} to {next} after receiving {length} bytes.");
                    }

                    if (next == offset && length > 0)
                    {
                        // Sending the same bytes at once would get the same answer, for ever: one failed attempt, retried
                        // (after a HEAD) only as often as the user allows.
                        throw new TransientTransferException(
                            TransferErrorKind.ProtocolViolation,
                            $"The tus server answered a PATCH of {length} bytes to {HttpOrigin.ForDisplay(url)} with {(int)response.StatusCode} but left Upload-Offset at {offset}: it stored none of them.");
                    }

                    sent += length;
                    offset = next;
                    break;
                case 409:
                    // Offset mismatch: someone (or a cut-off PATCH) moved it. The server's offset is the truth: the next
                    // attempt, which the engine's retry makes (or not: -MaxRetries), asks for it with HEAD first.
                    throw new TransientTransferException(
                        TransferErrorKind.HttpError,
                        $"The tus server answered 409 (offset mismatch) to bytes {offset}-{offset + length - 1} of '{source.FileName}': it holds another offset, which is asked for again.")
                    { StatusCode = 409 };
                case 460:
                    throw new TransientTransferException(
                        TransferErrorKind.IntegrityCheckFailed, $"The tus server found the checksum of bytes {offset}-{offset + length - 1} wrong (460): they were damaged on the way and are sent again.")
                    { StatusCode = 460 };
                case 415:
                    throw new TransferException(TransferErrorKind.ProtocolViolation, $"The tus server at {HttpOrigin.ForDisplay(url)} refused {OffsetContentType} (415). It does not follow tus 1.0.0.") { StatusCode = 415 };
                default:
                    throw HttpFailures.FromStatus(response, $"Sending bytes {offset}-{offset + length - 1} of '{source.FileName}'");
            }
        }

        knownOffset = offset;
        return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length) { ServerOffset = offset, BytesSent = sent };
    }

    public async Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken)
    {
        var url = UploadUrl(session);
        var offset = await RequireOffsetAsync(url, cancellationToken).ConfigureAwait(false);
        if (offset != source.Length)
        {
            throw new TransferException(
                TransferErrorKind.IntegrityCheckFailed,
                $"The tus server holds {offset} bytes of {HttpOrigin.ForDisplay(url)}, not the {source.Length} that were sent. Run the command again with -Resume.");
        }

        return new UploadCompletion(Location: url);
    }

    public async Task AbortAsync(UploadSession session, CancellationToken cancellationToken)
    {
        var url = UploadUrl(session);
        var caps = await GetCapabilitiesAsync(cancellationToken).ConfigureAwait(false);
        if (caps.Answered && !caps.Extensions.Contains("termination"))
        {
            throw new TransferException(TransferErrorKind.HttpError, $"The tus server at {Target} does not offer termination, so {HttpOrigin.ForDisplay(url)} cannot be deleted.");
        }

        using var message = NewRequest(HttpMethod.Delete, url);
        using var response = await SendAsync(client, message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        if (code is 204 or 200 or 404 or 410)
        {
            knownOffset = null;
            return;
        }

        throw HttpFailures.FromStatus(response, $"Deleting the tus upload {HttpOrigin.ForDisplay(url)}");
    }

    public void Dispose()
    {
        // The HttpClient belongs to the caller.
    }

    private static Uri UploadUrl(UploadSession session) =>
        session.UploadUrl ?? throw new TransferException(TransferErrorKind.InvalidState, "The recorded tus upload has no upload URL. Run the command with -Force to start over.");

    private static long? ReadOffset(HttpResponseMessage response) => ReadCount(response, "Upload-Offset");

    /// <summary>A byte-count header: null when absent; a ProtocolViolation when it is there but not a count (negative, not a number, too big).</summary>
    private static long? ReadCount(HttpResponseMessage response, string name)
    {
        if (!response.Headers.TryGetValues(name, out var values))
        {
            return null;
        }

        var text = values.FirstOrDefault()?.Trim() ?? string.Empty;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        var shown = text.Length > 40 ? text.Substring(0, 40) + "..." : text;
        var where = response.RequestMessage?.RequestUri is { } uri ? HttpOrigin.ForDisplay(uri).AbsoluteUri : "the upload";
        throw new TransferException(
            TransferErrorKind.ProtocolViolation, $"The tus server sent {name}: '{shown}' for {where}, which is not a byte count. It does not follow tus 1.0.0.");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpRequestMessage message, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await client.SendAsync(message, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (HttpFailures.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw HttpFailures.FromTransport(ex, message.RequestUri!);
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var message = new HttpRequestMessage(method, url);
        message.Headers.Add("Tus-Resumable", Version);
        headers.Apply(message);
        return message;
    }

    private async Task<TusCapabilities> GetCapabilitiesAsync(CancellationToken cancellationToken)
    {
        if (capabilities is not null)
        {
            return capabilities;
        }

        var found = await DiscoverAsync(client, request.Uri, headers, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"{Target} did not describe itself in OPTIONS; assuming plain tus {Version} with creation.");
            found = TusCapabilities.Unknown;
        }
        else if (!found.Versions.Contains(Version))
        {
            throw new TransferException(
                TransferErrorKind.ProtocolViolation, $"The tus server at {Target} speaks tus {string.Join(", ", found.Versions)}, not {Version}.");
        }
        else
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"tus server at {Target}: extensions {string.Join(", ", found.Extensions)}; checksums {(found.SupportsSha1Checksum ? "sha1" : "not used")}.");
        }

        capabilities = found;
        return found;
    }

    /// <summary>HEAD: the server's offset and length, or null when the upload is gone (404/410).</summary>
    private async Task<(long Offset, long? Length)?> HeadAsync(Uri url, CancellationToken cancellationToken)
    {
        using var message = NewRequest(HttpMethod.Head, url);
        using var response = await SendAsync(client, message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        var code = (int)response.StatusCode;
        if (code is 404 or 410)
        {
            return null;
        }

        if (code is not (200 or 204))
        {
            throw HttpFailures.FromStatus(response, $"Asking for the offset of {HttpOrigin.ForDisplay(url)}");
        }

        var offset = ReadOffset(response) ?? throw new TransferException(
            TransferErrorKind.ProtocolViolation, $"The tus server answered HEAD {HttpOrigin.ForDisplay(url)} without Upload-Offset. It does not follow tus 1.0.0.");
        return (offset, ReadCount(response, "Upload-Length"));
    }

    private async Task<long> RequireOffsetAsync(Uri url, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(url, cancellationToken).ConfigureAwait(false);
        return head?.Offset ?? throw new TransferException(
            TransferErrorKind.NotFound,
            $"The tus upload {HttpOrigin.ForDisplay(url)} disappeared from the server (expired or deleted). Run the command again with -Resume: a new upload is started.");
    }
}
