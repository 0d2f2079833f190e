using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Sources.Http;

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
public sealed class SaveResumableFileCommand : PSCmdlet, IDisposable
{
    // After Ctrl+C the engine checkpoints and returns within about a second; this only bounds a misbehaving one,
    // so the shell never hangs on a stop.
    private static readonly TimeSpan StopWaitLimit = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource cancellation = new();
    private readonly TransferEventQueue events = new();
    private readonly Dictionary<int, RunningDownload> running = new();
    private ProgressBars? progress;
    private IReadOnlyDictionary<string, string> headers = new Dictionary<string, string>();
    private HttpClient? client;
    private DownloadEngine? engine;
    private int nextTransferId;
    private bool disposed;

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
            headers = HeadersParameter.Convert(Headers);
        }
        catch (TransferException ex)
        {
            ThrowTerminatingError(ErrorRecordFactory.FromTransferException(ex, Headers));
        }

        progress = new ProgressBars(WriteProgress, TimeProvider.System);
    }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        try
        {
            ProcessItem();
        }
        catch
        {
            // Stopped, -ErrorAction Stop, or a failing downstream command: EndProcessing will not run.
            CompleteProgress();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void EndProcessing()
    {
        try
        {
            Pump(() => running.Count > 0);
        }
        finally
        {
            CompleteProgress();
            DisposeClient();
        }
    }

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Cancels what is still running, waits for it to checkpoint, and releases the HTTP connections.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        WaitForRunning();
        DisposeClient();
        events.Dispose();
        cancellation.Dispose();
    }

    private void ProcessItem()
    {
        // Emit what finished while the upstream command was producing this item.
        Pump(() => false);

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

        if (!ShouldProcess(output.Path, "Download " + DisplayText(uri)))
        {
            return;
        }

        Pump(() => running.Count >= ThrottleLimit);
        try
        {
            output.EnsureDirectoryExists();
        }
        catch (Exception ex) when (ex is System.IO.IOException or UnauthorizedAccessException)
        {
            WriteError(ErrorRecordFactory.FromException(ex, uri));
            return;
        }

        Start(uri, request, output.DisplayName(uri));
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
            MaxRetries = MaxRetries,
            RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
            StallTimeout = TimeSpan.FromSeconds(TimeoutSec),
        };
    }

    private void Start(Uri uri, DownloadRequest request, string name)
    {
        // One client and engine per invocation, made on first use so -WhatIf opens nothing.
        client ??= TransferHttpClientFactory.Create(Connections * ThrottleLimit);
        engine ??= new DownloadEngine(client, TimeProvider.System, events);
        var downloader = engine;
        var id = nextTransferId++;
        var token = cancellation.Token;
        progress!.Start(id, name);

        // Task.Run keeps any synchronous start-up work of the engine off the pipeline thread.
        var task = Task.Run(() => downloader.DownloadAsync(request, id, token), token);
        var download = new RunningDownload(id, uri, task);
        running.Add(id, download);
        task.ContinueWith(_ => events.OnFinished(download), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// The only place that writes what workers report. Handles queued events while <paramref name="keepWaiting"/>
    /// holds (and once without waiting when it does not), flushing throttled progress in between.
    /// </summary>
    private void Pump(Func<bool> keepWaiting)
    {
        while (true)
        {
            if (cancellation.IsCancellationRequested)
            {
                // Ctrl+C: nothing may be written any more; let the downloads checkpoint and release their locks
                // before the runtime ends the pipeline, so -Resume can follow at once.
                WaitForRunning();
                CompleteProgress();
                throw new PipelineStoppedException();
            }

            var waiting = keepWaiting();
            var wait = waiting ? progress!.UntilNextFlush() : TimeSpan.Zero;
            if (events.TryTake(out var next, wait) && next is not null)
            {
                Handle(next);
                progress!.FlushDue();
                continue;
            }

            progress!.FlushDue();
            if (!waiting)
            {
                return;
            }
        }
    }

    private void Handle(TransferEvent next)
    {
        switch (next)
        {
            case ProgressEvent p:
                progress!.Update(p.Progress);
                break;
            case MessageEvent { Level: TransferMessageLevel.Warning } m:
                WriteWarning(m.Message);
                break;
            case MessageEvent m:
                WriteVerbose(m.Message);
                break;
            case FinishedEvent f:
                Finish(f.Download);
                break;
        }
    }

    private void Finish(RunningDownload download)
    {
        running.Remove(download.Id);
        progress!.Complete(download.Id);
        DownloadResult result;
        try
        {
            result = download.Task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            // One item's failure is that item's error; the others go on.
            WriteError(ErrorRecordFactory.FromException(ex, download.Uri));
            return;
        }

        if (PassThru)
        {
            WriteObject(result);
        }
    }

    private void CompleteProgress()
    {
        try
        {
            progress?.CompleteAll();
        }
        catch (Exception)
        {
            // Best effort on the way out (a stopping pipeline refuses writes, and hosts then clear their progress
            // display themselves); the exception that is ending the command is the one to report.
        }
    }

    private void WaitForRunning()
    {
        if (running.Count == 0)
        {
            return;
        }

        try
        {
            Task.WhenAll(running.Values.Select(r => r.Task)).Wait(StopWaitLimit);
        }
        catch (AggregateException)
        {
            // Outcomes are not reported after a stop; the state on disk is what matters now.
        }

        running.Clear();
    }

    private void DisposeClient()
    {
        if (running.Count > 0)
        {
            return;
        }

        client?.Dispose();
        client = null;
        engine = null;
    }

    /// <summary>The address without user:password, for the -WhatIf/-Confirm text.</summary>
    private static string DisplayText(Uri uri) =>
        uri.IsAbsoluteUri && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString()
            : uri.OriginalString;
}
