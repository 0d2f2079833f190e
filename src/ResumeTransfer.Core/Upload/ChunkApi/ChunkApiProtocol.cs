using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// The project's chunk API (docs/chunk-api.md): one multipart/form-data POST per chunk with its MD5, any order and in
/// parallel; <c>GET URL/status</c> for the chunks the server holds (the truth on resume); <c>POST URL/merge</c> with the
/// whole file's SHA-256, whose answer (size and hash) is checked; <c>DELETE URL</c> to abandon. The upload is named by a
/// random 128-bit upload_id chosen here and recorded in the state file, never by the file name.
/// </summary>
public sealed class ChunkApiProtocol : IUploadProtocol
{
    private const long MiB = 1024 * 1024;
    private const string FileNameProperty = "filename";

    private readonly HttpClient client;
    private readonly ITransferObserver observer;
    private readonly UploadRequest request;
    private readonly RequestPolicy headers;
    private readonly ChunkApiAddress address;
    private readonly SemaphoreSlim hashGate = new(1, 1);
    private (SourceFingerprint Fingerprint, string Sha256)? wholeFileHash;

    public ChunkApiProtocol(HttpClient client, UploadRequest request, ITransferObserver observer)
    {
        // First: an address that is not http(s) is the error to report, whatever else is wrong.
        address = new ChunkApiAddress(request.Uri);
        this.client = client;
        this.request = request;
        this.observer = observer;
        headers = new RequestPolicy(request, new[] { "Content-Type" }, observer);
        Target = address.Display.AbsoluteUri;
    }

    public UploadProtocolKind Kind => UploadProtocolKind.ChunkApi;

    public UploadAddressing Addressing => UploadAddressing.Parts;

    /// <summary>
    /// 8 MiB by default. The protocol allows any size from 1 byte; servers set their own maximum (413 chunk_too_large),
    /// and at most 10,000 chunks keep the status answer small.
    /// </summary>
    public ChunkLimits ChunkLimits { get; } = new(1, 4096 * MiB, 8 * MiB, 10_000);

    public int MaximumConnections => 16;

    public string Target { get; }

    /// <summary>
    /// True when <paramref name="url"/> answers like a chunk API server: a status call for a random, unknown upload_id
    /// gets 404 with the JSON error <c>upload_not_found</c>. For <see cref="UploadProtocolKind.Auto"/>.
    /// </summary>
    public static async Task<bool> DiscoverAsync(HttpClient client, Uri url, RequestPolicy? headers, CancellationToken cancellationToken)
    {
        var probe = new ChunkApiAddress(url);
        using var message = new HttpRequestMessage(HttpMethod.Get, probe.Status(NewUploadId()));
        headers?.Apply(message);
        using var answer = await SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status is 401 or 403)
        {
            // Refused credentials, not "another protocol": say so, or -Protocol Auto would blame the protocol.
            throw ChunkApiFailures.From(answer, $"Asking {HttpOrigin.ForDisplay(url)} which upload protocol it speaks", HttpOrigin.ForDisplay(url).ToString());
        }

        return answer.Status == 404 && answer.Error == "upload_not_found";
    }

    /// <summary>Chooses the upload_id; the server learns of the upload with its first chunk (no round trip here).</summary>
    public Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken)
    {
        var id = NewUploadId();
        observer.OnMessage(TransferMessageLevel.Verbose, $"New chunk API upload {id} of '{source.FileName}' to {Target}: {ChunkPlanner.CountFor(source.Length, chunkSize)} chunks of {chunkSize} bytes.");
        return Task.FromResult(new UploadSession
        {
            UploadId = id,
            UploadUrl = address.DisplayStatus(id),
            ChunkSize = chunkSize,
            Properties = new Dictionary<string, string> { [FileNameProperty] = source.FileName },
        });
    }

    public async Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken)
    {
        if (session.Properties.TryGetValue(ChunkFormProtocol.ProfileProperty, out var profile))
        {
            throw new TransferException(
                TransferErrorKind.InvalidState,
                $"The unfinished upload of '{source.Path}' to {Target} was started with -ChunkApiProfile {profile}. Resume it with -ChunkApiProfile {profile}, or use -Force to start over.");
        }

        var id = UploadId(session);
        using var message = NewRequest(HttpMethod.Get, address.Status(id));
        using var answer = await SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status == 404)
        {
            return null;
        }

        if (answer.Status != 200 || answer.Body is not { } body)
        {
            throw ChunkApiFailures.From(answer, $"Asking {Target} which chunks of upload {id} it holds", Target);
        }

        var fileName = FileName(session, source);
        var totalChunks = ChunkPlanner.CountFor(source.Length, session.ChunkSize);
        var differences = new List<string>();
        Compare(differences, "filename", answer.GetString("filename"), fileName);
        Compare(differences, "chunk_size", answer.GetInt64("chunk_size"), session.ChunkSize);
        Compare(differences, "total_size", answer.GetInt64("total_size"), source.Length);
        Compare(differences, "total_chunks", answer.GetInt64("total_chunks"), totalChunks);
        if (differences.Count > 0)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"The server's upload {id} at {Target} is not this file's ({string.Join(", ", differences)}).");
            return null;
        }

        if (!body.TryGetProperty("received", out var received) || received.ValueKind != JsonValueKind.Array)
        {
            throw Violation($"The status answer for upload {id} has no 'received' list.");
        }

        var parts = new List<ChunkReceipt>();
        var seen = new HashSet<long>();
        foreach (var item in received.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var index) || index < 0 || index >= totalChunks)
            {
                throw Violation($"The status answer for upload {id} lists chunk {item}, which does not exist (there are {totalChunks}).");
            }

            if (seen.Add(index))
            {
                var chunk = ChunkPlanner.Chunk(checked((int)index + 1), source.Length, session.ChunkSize);
                parts.Add(new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length));
            }
        }

        // 'chunks' (when the server sends it) gives each held chunk's size and MD5: with them the engine can prove that a
        // chunk it never journalled (a crash between the server's 201 and the state write) holds this file's bytes, and
        // skip it. Without an entry a part keeps no MD5 and only the journal can vouch for it.
        var held = HeldChunks(body, id, seen);
        for (var i = 0; i < parts.Count; i++)
        {
            if (held.TryGetValue(parts[i].Number - 1, out var listed))
            {
                parts[i] = parts[i] with { Length = listed.Size, Md5 = listed.Md5 };
            }
        }

        return new ServerUploadStatus { Parts = parts };
    }

    public async Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var id = UploadId(session);
        var index = chunk.Number - 1;
        var what = $"Sending chunk {index} of '{source.FileName}'";
        var md5 = await source.Md5HexAsync(chunk, cancellationToken).ConfigureAwait(false);

        using var form = new MultipartFormDataContent();
        AddText(form, "upload_id", id);
        AddText(form, "filename", FileName(session, source));
        AddText(form, "total_size", Invariant(source.Length));
        AddText(form, "chunk_size", Invariant(session.ChunkSize));
        AddText(form, "total_chunks", Invariant(ChunkPlanner.CountFor(source.Length, session.ChunkSize)));
        AddText(form, "chunk", Invariant(index));
        AddText(form, "md5", md5);
        foreach (var pair in request.Metadata)
        {
            AddText(form, "meta_" + pair.Key, pair.Value);
        }

        // The text parts go first (the spec asks it): a streaming server knows what it receives before the bytes come.
        var bytes = new StreamContent(new ProgressReportingStream(source.OpenChunk(chunk.Offset, chunk.Length), progress), UploadSource.SendBufferSize);
        bytes.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(bytes, "file", "chunk_" + Invariant(index));

        using var message = NewRequest(HttpMethod.Post, address.Chunks);
        message.Content = form;
        using var answer = await SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        switch (answer.Status)
        {
            case 200:
            case 201:
                var heldIndex = answer.GetInt64("chunk");
                var heldMd5 = answer.GetString("md5");
                var heldSize = answer.GetInt64("size");
                if (heldIndex != index || heldSize != chunk.Length || !string.Equals(heldMd5, md5, StringComparison.OrdinalIgnoreCase))
                {
                    // An answer without the chunk API's JSON is most often a server of another convention (the brief's
                    // "200 ok", flow.js): say which parameter speaks to it.
                    var convention = answer.Body is null
                        ? " If it follows another convention (the five-field form with a merge call, flow.js, resumable.js), say so with -ChunkApiProfile Seed, Flow or Resumable (docs/chunk-api.md, \"Existing servers\")."
                        : string.Empty;
                    throw Violation($"{Target} acknowledged chunk {index} (MD5 {md5}, {chunk.Length} bytes) as chunk {heldIndex}, MD5 {heldMd5 ?? "none"}, {heldSize?.ToString(CultureInfo.InvariantCulture) ?? "no"} bytes.", convention);
                }

                return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length, md5);
            case 409 when answer.Error == "upload_complete":
                // Merged in an earlier run whose end was not recorded: nothing more to store, and the merge answer
                // (size and SHA-256 of the whole file) is checked next.
                return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length, md5);
            case 400 when answer.Error == "md5_mismatch":
                var now = await source.Md5HexAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (!string.Equals(now, md5, StringComparison.Ordinal))
                {
                    throw new TransferException(
                        TransferErrorKind.IntegrityCheckFailed,
                        $"'{source.Path}' changed while it was being uploaded (chunk {index} now has other bytes). Run the command again with -Resume: the changed file is then uploaded anew.");
                }

                throw new TransientTransferException(
                    TransferErrorKind.IntegrityCheckFailed,
                    $"{Target} found chunk {index} damaged on the way (400 md5_mismatch); it is sent again.")
                { StatusCode = 400 };
            default:
                throw ChunkApiFailures.From(answer, what, Target);
        }
    }

    public async Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken)
    {
        var id = UploadId(session);
        var fileName = FileName(session, source);
        var sha256 = await WholeFileSha256Async(source, cancellationToken).ConfigureAwait(false);
        using var message = NewRequest(HttpMethod.Post, address.Merge(id, fileName, sha256));
        using var answer = await SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        switch (answer.Status)
        {
            case 200:
                var size = answer.GetInt64("size");
                var hash = answer.GetString("sha256");
                if (size != source.Length || !string.Equals(hash, sha256, StringComparison.OrdinalIgnoreCase))
                {
                    throw new TransferException(
                        TransferErrorKind.IntegrityCheckFailed,
                        $"{Target} merged upload {id} into {size?.ToString(CultureInfo.InvariantCulture) ?? "?"} bytes with SHA-256 {hash ?? "(none)"}, but '{source.Path}' has {source.Length} bytes with SHA-256 {sha256}. The stored file is not this one; check the server, then upload again with -Force.");
                }

                observer.OnMessage(TransferMessageLevel.Verbose, $"{Target} merged upload {id} into '{fileName}': {size} bytes, SHA-256 {sha256} as expected.");
                return new UploadCompletion(Hash: sha256, HashAlgorithm: "SHA256");
            case 409 when answer.Error == "chunks_missing":
                // The server lost chunks it had acknowledged (restored from a backup, say): the engine sends them again.
                return new UploadCompletion { MissingParts = MissingChunks(answer, source, session) };
            case 422:
                await AbandonAfterMismatchAsync(session, cancellationToken).ConfigureAwait(false);
                throw new TransferException(
                    TransferErrorKind.IntegrityCheckFailed,
                    $"{Target} joined the chunks of upload {id} into a file that is not '{source.Path}' (422 {answer.Error}): they come from different versions of the file. The server's copy was discarded; run the command again with -Resume to upload the file anew.")
                { StatusCode = 422 };
            default:
                throw ChunkApiFailures.From(answer, $"Merging upload {id} of '{fileName}'", Target);
        }
    }

    public async Task AbortAsync(UploadSession session, CancellationToken cancellationToken)
    {
        var id = UploadId(session);
        using var message = NewRequest(HttpMethod.Delete, address.Delete(id));
        using var answer = await SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status is 200 or 204 or 404 or 405 or 410)
        {
            // 404: already gone; 405: a server without DELETE, where the upload expires by itself.
            return;
        }

        throw ChunkApiFailures.From(answer, $"Abandoning upload {id}", Target);
    }

    public void Dispose()
    {
        // The HttpClient belongs to the caller.
        hashGate.Dispose();
    }

    internal static string NewUploadId()
    {
        var bytes = new byte[16];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(bytes);
        }

        return Hex.Lower(bytes);
    }

    private static string UploadId(UploadSession session) =>
        session.UploadId ?? throw new TransferException(TransferErrorKind.InvalidState, "The recorded chunk API upload has no upload id. Run the command with -Force to start over.");

    /// <summary>The name recorded when the upload started (it must not change for the life of the upload).</summary>
    private static string FileName(UploadSession session, UploadSource source) =>
        session.Properties.TryGetValue(FileNameProperty, out var name) && name.Length > 0 ? name : source.FileName;

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void AddText(MultipartFormDataContent form, string name, string value)
    {
        var content = new StringContent(value, System.Text.Encoding.UTF8);
        content.Headers.ContentType = null;
        form.Add(content, name);
    }

    private static void Compare<T>(List<string> differences, string name, T? server, T local)
    {
        if (!EqualityComparer<T?>.Default.Equals(server, local))
        {
            differences.Add($"{name} {server?.ToString() ?? "missing"} instead of {local}");
        }
    }

    /// <summary>One request, its answer read (JSON bodies whole, others left unread); transport failures and timeouts become transient errors.</summary>
    internal static async Task<ChunkApiAnswer> SendAsync(HttpClient client, HttpRequestMessage message, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (HttpFailures.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw HttpFailures.FromTransport(ex, message.RequestUri!);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientTransferException(TransferErrorKind.TransferTimedOut, $"{message.Method} {HttpOriginDisplay(message)} timed out.", ex);
        }

        try
        {
            return await ChunkApiAnswer.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (HttpFailures.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            response.Dispose();
            throw HttpFailures.FromTransport(ex, message.RequestUri!);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private static string HttpOriginDisplay(HttpRequestMessage message) =>
        message.RequestUri is { } uri ? Core.Transfer.HttpOrigin.ForDisplay(uri).AbsoluteUri : "the request";

    private TransferException Violation(string message, string advice = "") =>
        new(TransferErrorKind.ProtocolViolation, $"{message} The server at {Target} does not follow the chunk API (docs/chunk-api.md).{advice}");

    /// <summary>The optional <c>chunks</c> list of a status answer by index; every entry must be one of <paramref name="received"/>.</summary>
    private Dictionary<long, (long Size, string Md5)> HeldChunks(JsonElement body, string id, HashSet<long> received)
    {
        var held = new Dictionary<long, (long Size, string Md5)>();
        if (!body.TryGetProperty("chunks", out var chunks) || chunks.ValueKind == JsonValueKind.Null)
        {
            return held;
        }

        if (chunks.ValueKind != JsonValueKind.Array)
        {
            throw Violation($"The status answer for upload {id} has a 'chunks' member that is not a list.");
        }

        foreach (var item in chunks.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object
                || !item.TryGetProperty("index", out var indexValue) || indexValue.ValueKind != JsonValueKind.Number || !indexValue.TryGetInt64(out var index)
                || !item.TryGetProperty("size", out var sizeValue) || sizeValue.ValueKind != JsonValueKind.Number || !sizeValue.TryGetInt64(out var size) || size < 0
                || !item.TryGetProperty("md5", out var md5Value) || md5Value.ValueKind != JsonValueKind.String || md5Value.GetString() is not { Length: 32 } md5 || !md5.All(Uri.IsHexDigit))
            {
                throw Violation($"The status answer for upload {id} lists held chunk {item}, which lacks a valid index, size or md5.");
            }

            if (!received.Contains(index) || held.ContainsKey(index))
            {
                throw Violation($"The status answer for upload {id} lists chunk {index} in 'chunks' {(held.ContainsKey(index) ? "twice" : "but not in 'received'")}.");
            }

            held[index] = (size, md5.ToLowerInvariant());
        }

        return held;
    }

    private List<UploadChunk> MissingChunks(ChunkApiAnswer answer, UploadSource source, UploadSession session)
    {
        var count = ChunkPlanner.CountFor(source.Length, session.ChunkSize);
        var missing = new List<UploadChunk>();
        if (answer.Body is { } body && body.TryGetProperty("missing", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out var index) || index < 0 || index >= count)
                {
                    throw Violation($"The merge answer lists missing chunk {item}, which does not exist (there are {count}).");
                }

                missing.Add(ChunkPlanner.Chunk(checked((int)index + 1), source.Length, session.ChunkSize));
            }
        }

        if (missing.Count == 0)
        {
            throw Violation("The merge answer says chunks are missing but lists none.");
        }

        return missing;
    }

    private async Task AbandonAfterMismatchAsync(UploadSession session, CancellationToken cancellationToken)
    {
        try
        {
            await AbortAsync(session, cancellationToken).ConfigureAwait(false);
        }
        catch (TransferException ex)
        {
            observer.OnMessage(TransferMessageLevel.Warning, $"Could not discard upload {session.UploadId} on {Target}: {ex.Message} It stays there until it expires.");
        }
    }

    /// <summary>SHA-256 of the whole source, read once per run (the merge may be retried).</summary>
    private async Task<string> WholeFileSha256Async(UploadSource source, CancellationToken cancellationToken)
    {
        await hashGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (wholeFileHash is { } known && known.Fingerprint.Matches(source.Fingerprint))
            {
                return known.Sha256;
            }

            var all = new UploadChunk(1, 0, source.Length);
            var sha256 = Hex.Lower(await source.HashChunkAsync(all, HashAlgorithmName.SHA256, cancellationToken).ConfigureAwait(false));
            wholeFileHash = (source.Fingerprint, sha256);
            return sha256;
        }
        finally
        {
            hashGate.Release();
        }
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var message = new HttpRequestMessage(method, url);
        headers.Apply(message);
        return message;
    }
}
