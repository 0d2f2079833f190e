using System;
using System.Management.Automation;
using System.Net.Http;
using ResumeTransfer.Core.Sources.Http;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// The invocation lifecycle every transfer cmdlet shares: one <see cref="TransferRunner"/> (worker tasks, progress,
/// per-item errors, -PassThru output), one HttpClient made on first use (so -WhatIf opens nothing) and released when
/// the last transfer has ended, a progress cleanup on every way out, and Ctrl+C. A cmdlet adds its parameters, creates
/// the runner at the end of BeginProcessing, and handles one pipeline item in <see cref="ProcessItem"/>.
/// </summary>
public abstract class TransferCmdlet : PSCmdlet, IDisposable
{
    private TransferRunner? runner;
    private HttpClient? client;
    private bool disposed;

    private protected TransferRunner Runner => runner ?? throw new InvalidOperationException("BeginProcessing has not created the transfer runner.");

    /// <summary>Creates the runner; the last step of BeginProcessing, once the parameters are checked.</summary>
    private protected void CreateRunner(string progressVerb, int throttleLimit, bool passThru) =>
        runner = new TransferRunner(this, progressVerb, throttleLimit, passThru);

    /// <summary>The invocation's HttpClient (made on first use: call it only once a transfer really starts).</summary>
    private protected HttpClient HttpClientFor(int maxConnectionsPerServer) => client ??= TransferHttpClientFactory.Create(maxConnectionsPerServer);

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
