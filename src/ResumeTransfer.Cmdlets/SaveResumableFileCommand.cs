using System;
using System.Management.Automation;
using ResumeTransfer.Core;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// <para type="synopsis">Downloads files over HTTP(S), FTP(S) or from S3-compatible object stores so that an interrupted download can be resumed and never yields a corrupt file.</para>
/// <para type="description">
/// Save-ResumableFile writes each download to &lt;target&gt;.rtpart with its progress in &lt;target&gt;.rtstate and renames it onto
/// the target only after the length (and -ExpectedHash) check. -Resume continues from the state; a changed remote file
/// starts over instead of being spliced. Many files piped in are downloaded -ThrottleLimit at a time, each over
/// -Connections parallel ranges.
/// </para>
/// </summary>
[Cmdlet(VerbsData.Save, "ResumableFile", SupportsShouldProcess = true)]
[OutputType(typeof(DownloadResult))]
public sealed class SaveResumableFileCommand : TransferCmdlet
{
    /// <summary>Creates the cmdlet with its default of <see cref="DownloadRequest.DefaultConnections"/> connections.</summary>
    public SaveResumableFileCommand()
        : base(DownloadRequest.DefaultConnections)
    {
    }

    /// <summary>The address of the file: http(s)://, ftp(s):// or s3://bucket/key.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Url")]
    [ValidateNotNull]
    public Uri Uri { get; set; } = null!;

    /// <summary>The file to write, or a directory (existing, or ending in a separator) to write into. Default: the current directory.</summary>
    /// <remarks>Empty means the default, so a CSV row with an empty Destination column works.</remarks>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Destination")]
    [AllowEmptyString]
    [AllowNull]
    public string? OutFile { get; set; }

    /// <summary>The expected hash (hex) of the whole file; the file is kept only when it matches.</summary>
    /// <remarks>Empty means no hash, so a CSV with hashes for some rows only works.</remarks>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [AllowNull]
    public string? ExpectedHash { get; set; }

    /// <summary>The algorithm of -ExpectedHash.</summary>
    [Parameter]
    [ValidateSet("SHA256", "SHA384", "SHA512", "SHA1", "MD5", IgnoreCase = true)]
    public string HashAlgorithm { get; set; } = "SHA256";

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        RejectResumeWithForce("-Resume continues a partial download, -Force discards it and starts over.");
        RejectBadEndpoint();
        ReadHeaders();
        CreateRunner("Downloading");
    }

    /// <inheritdoc />
    private protected override void ProcessItem()
    {
        var transfers = Runner;
        var uri = Uri;
        DownloadRequest request;
        OutputLocation output;
        try
        {
            output = OutputLocation.Resolve(OutFile, SessionState.Path);
            request = BuildRequest(uri, output);
        }
        catch (TransferException ex)
        {
            WriteError(ErrorRecordFactory.FromTransferException(ex, AddressText.ForErrorRecord(uri)));
            return;
        }

        if (!ShouldProcess(output.Path, "Download " + AddressText.ForDisplay(uri)))
        {
            return;
        }

        WarnIfS3OptionsUnused(AddressText.IsS3(uri), uri);
        transfers.WaitForSlot();
        try
        {
            output.EnsureDirectoryExists();
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecordFactory.FromException(ex, AddressText.ForErrorRecord(uri)));
            return;
        }

        Start(transfers, uri, request, output.DisplayName(uri));
    }

    private DownloadRequest BuildRequest(Uri uri, OutputLocation output)
    {
        var request = WithSharedOptions(new DownloadRequest
        {
            Uri = uri,
            OutputPath = output.Path,
            OutputIsDirectory = output.IsDirectory,
            ExistingTarget = Resume ? ExistingTargetPolicy.Resume : Force ? ExistingTargetPolicy.Overwrite : ExistingTargetPolicy.Fail,
            Connections = Connections,
            // The engine checks the hash's form against the algorithm (InvalidArgument) before it touches anything.
            ExpectedHash = string.IsNullOrWhiteSpace(ExpectedHash) ? null : ExpectedHash,
            HashAlgorithm = HashAlgorithm,
            // The result object reports the file's hash; without -PassThru nobody would read it, so no time is spent on it.
            ComputeHash = PassThru,
        });
        DownloadRequestValidator.Validate(request);
        return request;
    }

    private void Start(TransferRunner transfers, Uri uri, DownloadRequest request, string name)
    {
        var downloader = new DownloadEngine(HttpClient, TimeProvider.System, transfers.Observer);
        transfers.Start(name, AddressText.ForErrorRecord(uri), async (id, token) => await downloader.DownloadAsync(request, id, token).ConfigureAwait(false));
    }
}
