using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using ResumeTransfer.Core;
using ResumeTransfer.Core.Download;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// <para type="synopsis">Downloads files over HTTP(S) so that an interrupted download can be resumed and never yields a corrupt file.</para>
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
    private IReadOnlyDictionary<string, string> headers = new Dictionary<string, string>();

    /// <summary>The http or https address of the file.</summary>
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

    /// <summary>Continue a partial download from the state beside the target.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Start over, replacing an existing target or partial download.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Parallel connections (byte ranges) per file.</summary>
    /// <remarks>The engine allows at most 32 connections to one server per file; more is abuse, not speed.</remarks>
    [Parameter]
    [ValidateRange(1, 32)]
    public int Connections { get; set; } = DownloadRequest.DefaultConnections;

    /// <summary>Extra request headers.</summary>
    [Parameter]
    public IDictionary? Headers { get; set; }

    /// <summary>Basic authentication for the original origin only.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Lets -Credential or an Authorization header be sent over plain http.</summary>
    [Parameter]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>The User-Agent header.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserAgent { get; set; }

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

    /// <summary>Retries per failure (connection, stall, 5xx, 429) before giving up.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first retry delay in seconds; it doubles with each retry, with jitter.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int RetryIntervalSec { get; set; } = 1;

    /// <summary>Seconds without a byte after which a connection is treated as stalled and retried.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Files downloaded at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Emit a DownloadResult for each finished file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        if (Resume && Force)
        {
            ThrowTerminatingError(ErrorRecordFactory.Create(
                TransferErrorKind.InvalidArgument,
                "-Resume and -Force cannot be used together: -Resume continues a partial download, -Force discards it and starts over. Use one of them.",
                target: null));
        }

        try
        {
            headers = DictionaryParameter.Headers(Headers);
        }
        catch (TransferException ex)
        {
            ThrowTerminatingError(ErrorRecordFactory.FromTransferException(ex, Headers));
        }

        CreateRunner("Downloading", ThrottleLimit, PassThru);
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
            WriteError(ErrorRecordFactory.FromTransferException(ex, uri));
            return;
        }

        if (!ShouldProcess(output.Path, "Download " + AddressText.ForDisplay(uri)))
        {
            return;
        }

        transfers.WaitForSlot();
        try
        {
            output.EnsureDirectoryExists();
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecordFactory.FromException(ex, uri));
            return;
        }

        Start(transfers, uri, request, output.DisplayName(uri));
    }

    private DownloadRequest BuildRequest(Uri uri, OutputLocation output)
    {
        if (!uri.IsAbsoluteUri || (uri.Scheme != System.Uri.UriSchemeHttp && uri.Scheme != System.Uri.UriSchemeHttps))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{uri.OriginalString}' is not an http or https address. Save-ResumableFile downloads only over HTTP(S); give an absolute URL such as https://example.com/file.iso.");
        }

        return new DownloadRequest
        {
            Uri = uri,
            OutputPath = output.Path,
            OutputIsDirectory = output.IsDirectory,
            ExistingTarget = Resume ? ExistingTargetPolicy.Resume : Force ? ExistingTargetPolicy.Overwrite : ExistingTargetPolicy.Fail,
            Connections = Connections,
            Headers = headers,
            Credential = Credential?.GetNetworkCredential(),
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
            UserAgent = UserAgent,
            // The engine checks the hash's form against the algorithm (InvalidArgument) before it touches anything.
            ExpectedHash = string.IsNullOrWhiteSpace(ExpectedHash) ? null : ExpectedHash,
            HashAlgorithm = HashAlgorithm,
            // The result object reports the file's hash; without -PassThru nobody would read it, so no time is spent on it.
            ComputeHash = PassThru,
            MaxRetries = MaxRetries,
            RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
            StallTimeout = TimeSpan.FromSeconds(TimeoutSec),
        };
    }

    private void Start(TransferRunner transfers, Uri uri, DownloadRequest request, string name)
    {
        var downloader = new DownloadEngine(HttpClientFor(Connections * ThrottleLimit), TimeProvider.System, transfers.Observer);
        transfers.Start(name, uri, async (id, token) => await downloader.DownloadAsync(request, id, token).ConfigureAwait(false));
    }
}
