using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core;
using ResumeTransfer.Core.S3;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// <para type="synopsis">Uploads files in chunks over tus, S3 multipart or the chunk API, so that an interrupted upload can be resumed and is checked end to end.</para>
/// <para type="description">
/// Send-ChunkedFile sends each file in chunks, every one checked by the server (S3 Content-MD5 and ETag, tus
/// Upload-Checksum, the chunk API's md5), and records the acknowledged chunks in &lt;source&gt;.rtupload. -Resume asks the
/// server what it already holds and sends only the rest; a source that changed starts a new upload. Many files piped
/// in are uploaded -ThrottleLimit at a time, each over -Connections parallel chunks where the protocol allows.
/// </para>
/// </summary>
[Cmdlet(VerbsCommunications.Send, "ChunkedFile", SupportsShouldProcess = true)]
[OutputType(typeof(UploadResult))]
public sealed class SendChunkedFileCommand : TransferCmdlet
{
    private IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
    private ChunkApiProfileOptions chunkApi = new();

    /// <summary>Seed-like profiles: one gate per server address and file name, so such uploads run one after another.</summary>
    private readonly Dictionary<string, SemaphoreSlim> sameNameGates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the cmdlet with its default of <see cref="UploadRequest.DefaultConnections"/> connections.</summary>
    public SendChunkedFileCommand()
        : base(UploadRequest.DefaultConnections)
    {
    }

    /// <summary>The file to upload.</summary>
    /// <remarks>Taken literally (no wildcards); piped FileInfo objects bind through FullName or PSPath.</remarks>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath", "LiteralPath")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = null!;

    /// <summary>Where to: s3://bucket/key (or s3://bucket/prefix/ to append the file name), a tus creation endpoint, or a chunk API URL.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Url")]
    [ValidateNotNull]
    public Uri Uri { get; set; } = null!;

    /// <summary>The upload protocol; Auto takes S3 for s3:// and asks an http(s) server.</summary>
    [Parameter]
    public UploadProtocolKind Protocol { get; set; } = UploadProtocolKind.Auto;

    /// <summary>Bytes per chunk; default per protocol, grown so the file fits in the protocol's chunk count.</summary>
    /// <remarks>Not range-checked here: the protocol's limits decide, with one InvalidArgument error for every bad value.</remarks>
    [Parameter]
    public long? ChunkSize { get; set; }

    /// <summary>User metadata stored with the upload.</summary>
    [Parameter]
    public Hashtable? Metadata { get; set; }

    /// <summary>The content type of the stored object.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ContentType { get; set; }

    /// <summary>
    /// Chunk API: the convention of a server that already exists. Standard (the default) is docs/chunk-api.md; Seed is
    /// the five-field form with a merge call and no status call; Flow and Resumable are flow.js and resumable.js servers.
    /// </summary>
    [Parameter]
    public ChunkApiProfile ChunkApiProfile { get; set; }

    /// <summary>Chunk API: the server's names for the profile's fields, e.g. @{ chunk = 'index'; file = 'blob' }. Alone it means -ChunkApiProfile Seed.</summary>
    [Parameter]
    public Hashtable? ChunkApiFields { get; set; }

    /// <summary>Chunk API: the number of the first chunk, 0 or 1 (Seed 0, Flow and Resumable 1 by default).</summary>
    [Parameter]
    public int? ChunkApiNumberBase { get; set; }

    /// <summary>Chunk API, Seed: the merge call's path relative to -Uri (default merge: POST URI/merge?filename=NAME).</summary>
    [Parameter]
    public string? ChunkApiMergePath { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        RejectResumeWithForce("-Resume continues an unfinished upload, -Force abandons it and starts a new one.");

        RejectBadEndpoint();

        ReadHeaders();
        try
        {
            metadata = DictionaryParameter.Metadata(Metadata);
        }
        catch (TransferException ex)
        {
            ThrowTerminatingError(ErrorRecordFactory.FromTransferException(ex, Metadata));
        }

        ReadChunkApiProfileOptions();

        CreateRunner("Uploading");
    }

    /// <inheritdoc />
    private protected override void ProcessItem()
    {
        var transfers = Runner;
        var given = Path;
        string path;
        UploadRequest request;
        string destination;
        try
        {
            path = UploadSourcePath.Resolve(given, SessionState.Path);
            if (UploadSourcePath.IsUploadStateFile(path))
            {
                WriteWarning($"Skipping '{path}': it belongs to the unfinished upload of another file (upload state), it is not data to upload.");
                return;
            }

            request = BuildRequest(path);
            destination = DestinationText(request);
        }
        catch (TransferException ex)
        {
            WriteError(ErrorRecordFactory.FromTransferException(ex, given));
            return;
        }

        if (!ShouldProcess(destination, "Upload " + path))
        {
            return;
        }

        WarnIfS3OptionsUnused(AddressText.IsS3(request.Uri) || request.Protocol == UploadProtocolKind.S3, request.Uri);
        transfers.WaitForSlot();
        Start(transfers, request);
    }

    private UploadRequest BuildRequest(string path)
    {
        var uri = Uri;
        if (!uri.IsAbsoluteUri)
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{AddressText.ForDisplay(uri)}' is not an absolute address. Give s3://bucket/key (or s3://bucket/prefix/), or the http(s) URL of a tus endpoint or chunk API.");
        }

        return WithSharedOptions(new UploadRequest
        {
            Path = path,
            Uri = uri,
            Protocol = Protocol,
            ChunkSize = ChunkSize,
            ExistingUpload = Resume ? ExistingUploadPolicy.Resume : Force ? ExistingUploadPolicy.Overwrite : ExistingUploadPolicy.Fail,
            Connections = Connections,
            Metadata = metadata,
            ContentType = ContentType,
            ChunkApi = chunkApi,
        });
    }

    /// <summary>The chunk API profile and field map, checked before anything is sent.</summary>
    private void ReadChunkApiProfileOptions()
    {
        try
        {
            chunkApi = new ChunkApiProfileOptions
            {
                Profile = ChunkApiProfile,
                Fields = DictionaryParameter.ChunkApiFields(ChunkApiFields),
                NumberBase = ChunkApiNumberBase,
                MergePath = ChunkApiMergePath,
            };
            if (chunkApi.IsCustom && Protocol is not (UploadProtocolKind.Auto or UploadProtocolKind.ChunkApi))
            {
                throw new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"-ChunkApiProfile, -ChunkApiFields, -ChunkApiNumberBase and -ChunkApiMergePath are for chunk API servers, not -Protocol {Protocol}. Leave them out, or use -Protocol ChunkApi.");
            }

            chunkApi.Validate(metadata);
        }
        catch (TransferException ex)
        {
            ThrowTerminatingError(ErrorRecordFactory.FromTransferException(ex, ChunkApiFields ?? (object)ChunkApiProfile));
        }
    }

    /// <summary>Where the file goes, for -WhatIf/-Confirm: the S3 object (prefix resolved) or the http(s) address.</summary>
    private static string DestinationText(UploadRequest request)
    {
        if (!AddressText.IsS3(request.Uri))
        {
            return AddressText.ForDisplay(request.Uri);
        }

        // Parsing here also reports a malformed s3:// address before anything starts.
        var location = S3Location.Parse(request.Uri, System.IO.Path.GetFileName(request.Path)).ToString();
        return request.Endpoint is { } endpoint ? $"{location} at {AddressText.ForDisplay(endpoint)}" : location;
    }

    private void Start(TransferRunner transfers, UploadRequest request)
    {
        var http = HttpClient;
        var observer = transfers.Observer;
        var uploader = new UploadEngine(http, TimeProvider.System, observer);
        var name = System.IO.Path.GetFileName(request.Path);
        var gate = SameNameGate(request, name);
        transfers.Start(name, request.Path, async (id, token) =>
        {
            if (gate is not null && !await gate.WaitAsync(0, token).ConfigureAwait(false))
            {
                observer.OnMessage(
                    TransferMessageLevel.Verbose,
                    $"'{request.Path}' waits for the upload of another file named '{name}' to {AddressText.ForDisplay(request.Uri)} to finish: that server keeps chunks by file name (it has no upload identifier), so the two would mix if sent at once.");
                await gate.WaitAsync(token).ConfigureAwait(false);
            }

            try
            {
                using var protocol = await UploadProtocolResolver.CreateAsync(http, request, observer, token).ConfigureAwait(false);
                EnsureChunkSizeAllowed(request, protocol);
                return await uploader.UploadAsync(request, protocol, id, token).ConfigureAwait(false);
            }
            finally
            {
                gate?.Release();
            }
        });
    }

    /// <summary>The gate uploads of this file name to this address share, for servers that keep chunks by file name; null otherwise.</summary>
    private SemaphoreSlim? SameNameGate(UploadRequest request, string name)
    {
        if (!chunkApi.NamesUploadsByFileName)
        {
            return null;
        }

        var key = request.Uri.GetLeftPart(UriPartial.Path) + "\n" + name;
        if (!sameNameGates.TryGetValue(key, out var gate))
        {
            gate = new SemaphoreSlim(1, 1);
            sameNameGates[key] = gate;
        }

        return gate;
    }

    /// <summary>
    /// A -ChunkSize the protocol does not allow is an InvalidArgument error before anything is touched. (The engine checks
    /// it only when it starts a new upload; a resumed one keeps its recorded size, but a wrong value is still a wrong value.)
    /// </summary>
    private static void EnsureChunkSizeAllowed(UploadRequest request, IUploadProtocol protocol)
    {
        if (request.ChunkSize is { } size)
        {
            ChunkPlanner.ChooseChunkSize(size, protocol.ChunkLimits, 0, protocol.Kind.ToString(), out _);
        }
    }
}
