using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// Runs one invocation's transfers (downloads or uploads) on worker tasks, at most ThrottleLimit at a time, and
/// writes everything they report from the pipeline thread: progress bars (throttled, one per transfer under a parent),
/// verbose and warning messages, a non-terminating error per failed transfer, and with -PassThru each result. Ctrl+C
/// (<see cref="Stop"/>) cancels every transfer and waits for them to save their state, so -Resume can follow at once.
/// </summary>
internal sealed class TransferRunner : IDisposable
{
    // After Ctrl+C the engines checkpoint and return within about a second; this only bounds a misbehaving one,
    // so the shell never hangs on a stop.
    private static readonly TimeSpan StopWaitLimit = TimeSpan.FromSeconds(30);

    private readonly Cmdlet cmdlet;
    private readonly int throttleLimit;
    private readonly bool passThru;
    private readonly CancellationTokenSource cancellation = new();
    private readonly TransferEventQueue events = new();
    private readonly Dictionary<int, RunningTransfer> running = new();
    private readonly ProgressBars progress;
    private int nextTransferId;
    private bool disposed;

    /// <param name="cmdlet">The cmdlet whose Write* methods report (called on its pipeline thread only).</param>
    /// <param name="progressVerb">First word of the progress activities: "Downloading", "Uploading".</param>
    /// <param name="throttleLimit">The most transfers running at once.</param>
    /// <param name="passThru">Write each finished transfer's result.</param>
    public TransferRunner(Cmdlet cmdlet, string progressVerb, int throttleLimit, bool passThru)
    {
        this.cmdlet = cmdlet;
        this.throttleLimit = throttleLimit;
        this.passThru = passThru;
        progress = new ProgressBars(cmdlet.WriteProgress, TimeProvider.System, progressVerb);
    }

    /// <summary>The observer to hand to the engines: it only queues, so any thread may call it.</summary>
    public ITransferObserver Observer => events;

    /// <summary>True when no transfer is running (shared resources such as the HttpClient may then be released).</summary>
    public bool IsIdle => running.Count == 0;

    /// <summary>Writes what finished while the upstream command was producing the next item, without waiting.</summary>
    public void WriteFinished() => Pump(() => false);

    /// <summary>Waits (writing what workers report) until fewer than ThrottleLimit transfers run.</summary>
    public void WaitForSlot() => Pump(() => running.Count >= throttleLimit);

    /// <summary>Waits (writing what workers report) until every transfer has ended.</summary>
    public void WaitForAll() => Pump(() => running.Count > 0);

    /// <summary>Starts a transfer on a worker task and shows its progress bar at once.</summary>
    /// <param name="name">What its progress bar shows until the engine reports a better name.</param>
    /// <param name="errorTarget">TargetObject of its error record, if it fails.</param>
    /// <param name="work">The transfer: gets its transfer id and the invocation's cancellation token, returns its result.</param>
    public void Start(string name, object errorTarget, Func<int, CancellationToken, Task<object>> work)
    {
        var id = nextTransferId++;
        var token = cancellation.Token;
        progress.Start(id, name);

        // Task.Run keeps any synchronous start-up work of the engine off the pipeline thread.
        var task = Task.Run(() => work(id, token), token);
        var transfer = new RunningTransfer(id, errorTarget, task);
        running.Add(id, transfer);
        task.ContinueWith(_ => events.OnFinished(transfer), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>For StopProcessing (Ctrl+C): cancels every transfer. The pipeline thread then ends the command.</summary>
    public void Stop()
    {
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Ends every open progress bar; best effort, for the way out of the command.</summary>
    public void CompleteProgress()
    {
        try
        {
            progress.CompleteAll();
        }
        catch (Exception)
        {
            // Best effort on the way out (a stopping pipeline refuses writes, and hosts then clear their progress
            // display themselves); the exception that is ending the command is the one to report.
        }
    }

    /// <summary>Cancels what is still running and waits for it to checkpoint.</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Stop();
        WaitForRunning();
        events.Dispose();
        cancellation.Dispose();
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
                // Ctrl+C: nothing may be written any more; let the transfers checkpoint and release their locks
                // before the runtime ends the pipeline, so -Resume can follow at once.
                WaitForRunning();
                CompleteProgress();
                throw new PipelineStoppedException();
            }

            var waiting = keepWaiting();
            var wait = waiting ? progress.UntilNextFlush() : TimeSpan.Zero;
            if (events.TryTake(out var next, wait) && next is not null)
            {
                Handle(next);
                progress.FlushDue();
                continue;
            }

            progress.FlushDue();
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
                progress.Update(p.Progress);
                break;
            case MessageEvent { Level: TransferMessageLevel.Warning } m:
                cmdlet.WriteWarning(m.Message);
                break;
            case MessageEvent m:
                cmdlet.WriteVerbose(m.Message);
                break;
            case FinishedEvent f:
                Finish(f.Transfer);
                break;
        }
    }

    private void Finish(RunningTransfer transfer)
    {
        running.Remove(transfer.Id);
        progress.Complete(transfer.Id);
        object result;
        try
        {
            result = transfer.Task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is not PipelineStoppedException)
        {
            // One item's failure is that item's error; the others go on.
            cmdlet.WriteError(ErrorRecordFactory.FromException(ex, transfer.ErrorTarget));
            return;
        }

        if (passThru)
        {
            cmdlet.WriteObject(result);
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
}
