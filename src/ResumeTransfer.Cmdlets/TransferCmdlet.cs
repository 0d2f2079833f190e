using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Net.Http;
using ResumeTransfer.Core;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// The invocation lifecycle every transfer cmdlet shares: one <see cref="TransferRunner"/> (worker tasks, progress,
/// per-item errors, -PassThru output), one HttpClient made on first use (so -WhatIf opens nothing) and released when
/// the last transfer has ended, a progress cleanup on every way out, and Ctrl+C; and the parameters every transfer takes
/// (how to treat an unfinished transfer, connections, HTTP options, retries, throttling, -PassThru). A cmdlet adds its
/// own parameters, creates the runner at the end of BeginProcessing, and handles one pipeline item in
/// <see cref="ProcessItem"/>.
/// </summary>
/// <remarks>The help of each cmdlet (MAML) says what these parameters mean for its direction (download or upload).</remarks>
public abstract class TransferCmdlet : PSCmdlet, IDisposable
{
    private TransferRunner? runner;
    private HttpClient? client;
    private bool disposed;
    private bool warnedS3OnlyParameters;

    /// <summary>Sets the cmdlet's default for -Connections.</summary>
    private protected TransferCmdlet(int defaultConnections) => Connections = defaultConnections;

    /// <summary>Continue the unfinished transfer recorded beside the file.</summary>
    [Parameter]
    public SwitchParameter Resume { get; set; }

    /// <summary>Discard an unfinished transfer (and for a download an existing target) and start over.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Parallel connections per file (download: byte ranges; upload: chunks, where the protocol allows).</summary>
    /// <remarks>The engine's limit (<see cref="DownloadRequest.MaxConnections"/>) holds for uploads too.</remarks>
    [Parameter]
    [ValidateRange(1, DownloadRequest.MaxConnections)]
    public int Connections { get; set; }

    /// <summary>Extra request headers.</summary>
    [Parameter]
    public IDictionary? Headers { get; set; }

    /// <summary>The credential: Basic authentication for the original origin only (upload to S3: access key and secret).</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>S3: the address of an S3-compatible service instead of AWS.</summary>
    [Parameter]
    [ValidateNotNull]
    public Uri? Endpoint { get; set; }

    /// <summary>S3: the region.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Region { get; set; }

    /// <summary>Lets -Credential or an Authorization header be sent over plain http.</summary>
    [Parameter]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>Lets a redirect (or a tus upload URL) lead from https to plain http; refused with InsecureRedirect without it.</summary>
    [Parameter]
    public SwitchParameter AllowInsecureRedirect { get; set; }

    /// <summary>
    /// Keeps every header the user gave (and -Credential) on a redirect to another origin. Without it they go to the
    /// origin of -Uri only, like Invoke-WebRequest's -PreserveAuthorizationOnRedirect but for all of them.
    /// </summary>
    [Parameter]
    public SwitchParameter PreserveHeadersOnRedirect { get; set; }

    /// <summary>The User-Agent header.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UserAgent { get; set; }

    /// <summary>Retries per failure (connection, stall, 5xx, 429) before the file fails.</summary>
    [Parameter]
    [ValidateRange(0, 100)]
    public int MaxRetries { get; set; } = 5;

    /// <summary>The first retry delay in seconds; it doubles with each retry, with jitter.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int RetryIntervalSec { get; set; } = 1;

    /// <summary>Seconds a connection may move no byte before it is treated as stalled and retried.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int TimeoutSec { get; set; } = 30;

    /// <summary>Files transferred at the same time.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Emit a result object for each finished file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>-Headers as checked name/value pairs (set by <see cref="ReadHeaders"/>).</summary>
    private protected IReadOnlyDictionary<string, string> RequestHeaders { get; private set; } = new Dictionary<string, string>();

    private protected TransferRunner Runner => runner ?? throw new InvalidOperationException("BeginProcessing has not created the transfer runner.");

    /// <summary>Stops the invocation when both -Resume and -Force are given.</summary>
    /// <param name="why">What each of the two would do, for this cmdlet, so the user can choose.</param>
    private protected void RejectResumeWithForce(string why)
    {
        if (Resume && Force)
        {
            ThrowTerminatingError(ErrorRecordFactory.Create(
                TransferErrorKind.InvalidArgument,
                $"-Resume and -Force cannot be used together: {why} Use one of them.",
                target: null));
        }
    }

    /// <summary>Stops the invocation when -Endpoint is not an http(s) address.</summary>
    private protected void RejectBadEndpoint()
    {
        if (Endpoint is { } endpoint && !HttpAddress.IsHttpOrHttps(endpoint))
        {
            ThrowTerminatingError(ErrorRecordFactory.Create(
                TransferErrorKind.InvalidArgument,
                $"-Endpoint '{AddressText.ForDisplay(endpoint)}' is not an http or https address. Give the S3-compatible service's address, such as https://s3.example.com or http://127.0.0.1:9000.",
                Endpoint));
        }
    }

    /// <summary>Warns once per invocation that -Endpoint and -Region do nothing for an item that is not S3.</summary>
    private protected void WarnIfS3OptionsUnused(bool isS3, Uri uri)
    {
        if (warnedS3OnlyParameters || (Endpoint is null && Region is null) || isS3)
        {
            return;
        }

        warnedS3OnlyParameters = true;
        WriteWarning($"-Endpoint and -Region apply to S3 (s3:// addresses) only; they are ignored for {AddressText.ForDisplay(uri)}.");
    }

    /// <summary>Checks -Headers into <see cref="RequestHeaders"/>; a bad one stops the invocation.</summary>
    private protected void ReadHeaders()
    {
        try
        {
            RequestHeaders = DictionaryParameter.Headers(Headers);
        }
        catch (TransferException ex)
        {
            ThrowTerminatingError(ErrorRecordFactory.FromTransferException(ex, Headers));
        }
    }

    /// <summary><paramref name="request"/> with what the parameters both cmdlets share ask of every request (headers, credential, redirect and retry rules).</summary>
    private protected T WithSharedOptions<T>(T request)
        where T : TransferRequest => (T)((TransferRequest)request with
        {
            Headers = RequestHeaders,
            Credential = Credential?.GetNetworkCredential(),
            Endpoint = Endpoint,
            Region = Region,
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
            AllowInsecureRedirect = AllowInsecureRedirect,
            PreserveHeadersOnRedirect = PreserveHeadersOnRedirect,
            UserAgent = UserAgent,
            MaxRetries = MaxRetries,
            RetryInterval = TimeSpan.FromSeconds(RetryIntervalSec),
            StallTimeout = TimeSpan.FromSeconds(TimeoutSec),
        });

    /// <summary>Creates the runner; the last step of BeginProcessing, once the parameters are checked.</summary>
    private protected void CreateRunner(string progressVerb) =>
        runner = new TransferRunner(this, progressVerb, ThrottleLimit, PassThru);

    /// <summary>
    /// The invocation's HttpClient (made on first use: call it only once a transfer really starts), with room for
    /// -Connections per file times -ThrottleLimit files.
    /// </summary>
    private protected HttpClient HttpClient => client ??= TransferHttpClientFactory.Create(Connections * ThrottleLimit);

    /// <summary>Handles one pipeline item: check it, ShouldProcess, wait for a slot, start its transfer.</summary>
    private protected abstract void ProcessItem();

    /// <inheritdoc />
    protected sealed override void ProcessRecord()
    {
        try
        {
            // Emit what finished while the upstream command was producing this item.
            Runner.WriteFinished();
            ProcessItem();
        }
        catch
        {
            // Stopped, -ErrorAction Stop, or a failing downstream command: EndProcessing will not run.
            runner?.CompleteProgress();
            throw;
        }
    }

    /// <inheritdoc />
    protected sealed override void EndProcessing()
    {
        try
        {
            runner?.WaitForAll();
        }
        finally
        {
            runner?.CompleteProgress();
            DisposeClient();
        }
    }

    /// <inheritdoc />
    protected sealed override void StopProcessing() => runner?.Stop();

    /// <summary>Cancels what is still running, waits for it to save its state, and releases the HTTP connections.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        runner?.Dispose();
        DisposeClient();
        GC.SuppressFinalize(this);
    }

    private void DisposeClient()
    {
        if (runner is { IsIdle: false })
        {
            return;
        }

        client?.Dispose();
        client = null;
    }
}
