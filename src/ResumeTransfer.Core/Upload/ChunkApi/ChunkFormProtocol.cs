using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// Chunk-upload servers that already exist (docs/chunk-api.md, "Existing servers"): one multipart/form-data POST per
/// chunk whose fields a <see cref="ChunkFormSpec"/> names, any 2xx as the acknowledgement. What such servers lack is made
/// up for where it can be: the upload is named by a random identifier where the profile has a field for it, the MD5 is
/// sent where it has one, and on resume the client's own record of acknowledged chunks (the state file) comes first;
/// Flow and Resumable then ask the server about each chunk not on record before sending it. Seed has no such call, so a
/// chunk sent but not recorded is sent again. Nothing here can check the finished file: the completion says so
/// (<see cref="UploadCompletion.Verified"/> false).
/// </summary>
public sealed class ChunkFormProtocol : IUploadProtocol
{
    /// <summary>The session property that records the profile an upload was started with.</summary>
    internal const string ProfileProperty = "profile";

    private const long MiB = 1024 * 1024;
    private const string FileNameProperty = "filename";
    private const string SpecProperty = "parameters";
    private const int ErrorTextLimit = 4096;

    /// <summary>The fields in the order they are sent: the numbers and names first, the bytes last.</summary>
    private static readonly string[] Order =
    [
        ChunkFormSpec.Chunk, ChunkFormSpec.TotalChunks, ChunkFormSpec.ChunkSize, ChunkFormSpec.CurrentChunkSize, ChunkFormSpec.TotalSize,
        ChunkFormSpec.Identifier, ChunkFormSpec.FileName, ChunkFormSpec.RelativePath, ChunkFormSpec.Md5,
    ];

    private readonly HttpClient client;
    private readonly ITransferObserver observer;
    private readonly UploadRequest request;
    private readonly RequestPolicy headers;
    private readonly ChunkApiAddress address;
    private readonly ChunkFormSpec spec;
    private volatile bool testBeforeSending;

    /// <exception cref="TransferException">InvalidArgument: not an http(s) address, or options <see cref="ChunkApiProfileOptions.Validate"/> refuses.</exception>
    public ChunkFormProtocol(HttpClient client, UploadRequest request, ITransferObserver observer)
    {
        // First: an address that is not http(s) is the error to report, whatever else is wrong.
        address = new ChunkApiAddress(request.Uri);
        spec = ChunkFormSpec.Create(request.ChunkApi, request.Metadata);
        this.client = client;
        this.request = request;
        this.observer = observer;
        headers = new RequestPolicy(request, new[] { "Content-Type" }, observer);
        Target = address.Display.AbsoluteUri;
        ChunkLimits = new ChunkLimits(1, 4096 * MiB, spec.LastChunkTakesRemainder ? MiB : 8 * MiB, 10_000)
        {
            LastChunkTakesRemainder = spec.LastChunkTakesRemainder,
            ServerAssemblesWhenComplete = spec.MergePath is null,
        };
    }

    public UploadProtocolKind Kind => UploadProtocolKind.ChunkApi;

    public UploadAddressing Addressing => UploadAddressing.Parts;

    /// <summary>Seed: 8 MiB chunks by default, as the chunk API. Flow and Resumable: 1 MiB (flow.js's and resumable.js's default), the last chunk taking the remainder.</summary>
    public ChunkLimits ChunkLimits { get; }

    public int MaximumConnections => 16;

    public string Target { get; }

    private string ProfileName => spec.Profile.ToString();

    /// <summary>Chooses the identifier; the server learns of the upload with its first chunk.</summary>
    public Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken)
    {
        var id = ChunkApiProtocol.NewUploadId();
        var count = ChunkPlanner.CountFor(source.Length, chunkSize, spec.LastChunkTakesRemainder);
        var named = spec.Name(ChunkFormSpec.Identifier) is { } field ? $" as {field}={id}" : " (the server names it by the file name)";
        observer.OnMessage(TransferMessageLevel.Verbose, $"New {ProfileName} upload of '{source.FileName}'{named} to {Target}: {count} chunks of {chunkSize} bytes.");
        return Task.FromResult(new UploadSession
        {
            UploadId = id,
            UploadUrl = address.Display,
            ChunkSize = chunkSize,
            Properties = new Dictionary<string, string> { [FileNameProperty] = source.FileName, [ProfileProperty] = ProfileName, [SpecProperty] = spec.ParameterText },
        });
    }

    /// <summary>
    /// These servers cannot list what they hold: null parts make the engine work from its own record. Flow and Resumable
    /// then test each chunk not on record before sending it (<see cref="SendChunkAsync"/>), once the server has shown
    /// that its test call can say "no": asked about an upload that cannot exist, it must not claim to hold it.
    /// </summary>
    public async Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken)
    {
        var recorded = session.Properties.TryGetValue(ProfileProperty, out var name) ? name : ChunkApiProfile.Standard.ToString();
        if (!string.Equals(recorded, ProfileName, StringComparison.Ordinal))
        {
            throw new TransferException(
                TransferErrorKind.InvalidState,
                $"The unfinished upload of '{source.Path}' to {Target} was started with -ChunkApiProfile {recorded}, not {ProfileName}. Resume it with -ChunkApiProfile {recorded}, or use -Force to start over.");
        }

        // Another base shifts every chunk number, another field map or merge path is another server's form.
        if (session.Properties.TryGetValue(SpecProperty, out var parameters) && !string.Equals(parameters, spec.ParameterText, StringComparison.Ordinal))
        {
            throw new TransferException(
                TransferErrorKind.InvalidState,
                $"The unfinished upload of '{source.Path}' to {Target} was started with {parameters}, not {spec.ParameterText}. Resume it with {parameters}, or use -Force to start over.");
        }

        if (!spec.HasTestCall)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"The {ProfileName} server at {Target} cannot be asked which chunks it holds (it has no status call): resuming from this client's record of acknowledged chunks. A chunk sent but not recorded before the interruption is sent again.");
            return new ServerUploadStatus { Parts = null };
        }

        // A server that answers every GET with 200 (a page, say) would make every chunk look held: the file would be
        // "done" with holes in it. One question about a random identifier tells such a server apart.
        var nobody = new UploadSession { UploadId = ChunkApiProtocol.NewUploadId(), ChunkSize = session.ChunkSize, Properties = session.Properties };
        var first = ChunkPlanner.Chunk(1, source.Length, session.ChunkSize, spec.LastChunkTakesRemainder);
        if (await HeldAsync(nobody, source, first, cancellationToken).ConfigureAwait(false))
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"The {ProfileName} server at {Target} claims to hold a chunk of an upload that does not exist, so its test call (GET) cannot be trusted: resuming from this client's record of acknowledged chunks only, and sending all the others again.");
            return new ServerUploadStatus { Parts = null };
        }

        testBeforeSending = true;
        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"The {ProfileName} server at {Target} cannot list the chunks it holds: resuming from this client's record of acknowledged chunks, and asking the server (GET) about each of the others before sending it.");
        return new ServerUploadStatus { Parts = null };
    }

    public async Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var number = chunk.Number - 1 + spec.NumberBase;
        if (testBeforeSending && await HeldAsync(session, source, chunk, cancellationToken).ConfigureAwait(false))
        {
            return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length) { AlreadyHeld = true };
        }

        var md5 = spec.Name(ChunkFormSpec.Md5) is null ? null : await source.Md5HexAsync(chunk, cancellationToken).ConfigureAwait(false);
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in Fields(session, source, chunk, md5))
        {
            var text = new StringContent(value, Encoding.UTF8);
            text.Headers.ContentType = null;
            form.Add(text, name);
        }

        // The bytes go last, so a streaming server knows what it receives before they come.
        var bytes = new StreamContent(new ProgressReportingStream(source.OpenChunk(chunk.Offset, chunk.Length), progress), UploadSource.SendBufferSize);
        bytes.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(bytes, spec.Name(ChunkFormSpec.File)!, FileName(session, source));

        using var message = NewRequest(HttpMethod.Post, address.Chunks);
        message.Content = form;
        using var answer = await ChunkApiProtocol.SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw await FailureAsync(answer, $"Sending chunk {number} of '{source.FileName}'", cancellationToken).ConfigureAwait(false);
        }

        return new ChunkReceipt(chunk.Number, chunk.Offset, chunk.Length, md5);
    }

    /// <summary>Seed: the merge call (any 2xx is done). Flow, Resumable: nothing to call, the server assembled the file when its last chunk arrived.</summary>
    public async Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken)
    {
        var fileName = FileName(session, source);
        if (spec.MergePath is not { } mergePath)
        {
            observer.OnMessage(
                TransferMessageLevel.Verbose,
                $"The {ProfileName} server at {Target} acknowledged all {parts.Count} chunks of '{fileName}' and assembles the file itself; it gives nothing to check the result against (Verified is false).");
            return new UploadCompletion { Verified = false };
        }

        using var message = NewRequest(HttpMethod.Post, address.Build("/" + mergePath, "filename=" + Uri.EscapeDataString(fileName)));
        message.Content = new ByteArrayContent(Array.Empty<byte>());
        using var answer = await ChunkApiProtocol.SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status is < 200 or > 299)
        {
            throw await FailureAsync(answer, $"Merging the chunks of '{fileName}' ({mergePath})", cancellationToken).ConfigureAwait(false);
        }

        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"{Target} merged the {parts.Count} chunks of '{fileName}' ({answer.Status}); it gives no size or hash to check the file against (Verified is false).");
        return new UploadCompletion { Verified = false };
    }

    /// <summary>These servers have no call to abandon an upload: its chunks stay until the server removes them.</summary>
    public Task AbortAsync(UploadSession session, CancellationToken cancellationToken)
    {
        observer.OnMessage(
            TransferMessageLevel.Verbose,
            $"The {ProfileName} server at {Target} has no call to abandon an upload: the chunks of the earlier one stay there until the server removes them.");
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        // The HttpClient belongs to the caller.
    }

    private static string FileName(UploadSession session, UploadSource source) =>
        session.Properties.TryGetValue(FileNameProperty, out var name) && name.Length > 0 ? name : source.FileName;

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The text fields of one chunk with their wire names (the profile's, as renamed by the field map), then the metadata.</summary>
    private IEnumerable<(string Name, string Value)> Fields(UploadSession session, UploadSource source, UploadChunk chunk, string? md5)
    {
        var name = FileName(session, source);
        foreach (var field in Order)
        {
            if (spec.Name(field) is not { } wire)
            {
                continue;
            }

            var value = field switch
            {
                ChunkFormSpec.Chunk => Invariant(chunk.Number - 1 + spec.NumberBase),
                ChunkFormSpec.TotalChunks => Invariant(ChunkPlanner.CountFor(source.Length, session.ChunkSize, spec.LastChunkTakesRemainder)),
                ChunkFormSpec.ChunkSize => Invariant(session.ChunkSize),
                ChunkFormSpec.CurrentChunkSize => Invariant(chunk.Length),
                ChunkFormSpec.TotalSize => Invariant(source.Length),
                ChunkFormSpec.Identifier => session.UploadId ?? throw new TransferException(TransferErrorKind.InvalidState, "The recorded upload has no identifier. Run the command with -Force to start over."),
                ChunkFormSpec.Md5 => md5,
                _ => name,
            };
            if (value is not null)
            {
                yield return (wire, value);
            }
        }

        foreach (var pair in request.Metadata)
        {
            yield return (pair.Key, pair.Value);
        }
    }

    /// <summary>
    /// The profile's test call, <c>GET URL?fields</c>: a 2xx other than 204 means the server holds the chunk (flow.js and
    /// resumable.js read it so); any other answer means it is sent. Refused credentials stop the upload.
    /// </summary>
    private async Task<bool> HeldAsync(UploadSession session, UploadSource source, UploadChunk chunk, CancellationToken cancellationToken)
    {
        var query = string.Join("&", Fields(session, source, chunk, md5: null).Select(f => Uri.EscapeDataString(f.Name) + "=" + Uri.EscapeDataString(f.Value)));
        using var message = NewRequest(HttpMethod.Get, address.Build(string.Empty, query));
        using var answer = await ChunkApiProtocol.SendAsync(client, message, cancellationToken).ConfigureAwait(false);
        if (answer.Status is 401 or 403)
        {
            throw await FailureAsync(answer, $"Asking {Target} whether it holds chunk {chunk.Number - 1 + spec.NumberBase} of '{source.FileName}'", cancellationToken).ConfigureAwait(false);
        }

        return answer.Status is >= 200 and <= 299 and not 204;
    }

    /// <summary>The error for a non-2xx answer, with the start of what the server said (these servers answer in plain text as often as in JSON).</summary>
    private static async Task<TransferException> FailureAsync(ChunkApiAnswer answer, string what, CancellationToken cancellationToken)
    {
        var said = answer.Message;
        if (said is null && answer.Body is null && answer.Response.Content is { } content)
        {
            try
            {
                var (prefix, _) = await BoundedContentReader.ReadPrefixAsync(content, ErrorTextLimit, cancellationToken).ConfigureAwait(false);
                said = Encoding.UTF8.GetString(prefix).Trim();
            }
            catch (Exception ex) when (HttpFailures.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
            {
                // The status is what counts; a body cut off on the way adds nothing.
            }
        }

        var text = said is { Length: > 0 } ? $" The server said: {BoundedContentReader.Excerpt(said)}" : string.Empty;
        return ChunkApiFailures.WithServerText(HttpFailures.FromStatus(answer.Response, what), text, answer.Status);
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var message = new HttpRequestMessage(method, url);
        headers.Apply(message);
        return message;
    }
}
