using System;
using System.Collections.Concurrent;
using System.Threading;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// The observer handed to the engines. PowerShell allows Write* calls only on the pipeline thread, so worker
/// threads just enqueue here and the cmdlet drains the queue on its own thread.
/// </summary>
internal sealed class TransferEventQueue : ITransferObserver, IDisposable
{
    private readonly BlockingCollection<TransferEvent> queue = new(new ConcurrentQueue<TransferEvent>());
    private int closed;

    public void OnProgress(TransferProgress progress) => Add(new ProgressEvent(progress));

    public void OnMessage(TransferMessageLevel level, string message) => Add(new MessageEvent(level, message));

    public void OnFinished(RunningTransfer transfer) => Add(new FinishedEvent(transfer));

    /// <summary>Waits up to <paramref name="timeout"/> for the next event.</summary>
    public bool TryTake(out TransferEvent? next, TimeSpan timeout)
    {
        var milliseconds = (int)Math.Max(0, Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds)));
        return queue.TryTake(out next, milliseconds);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref closed, 1) == 0)
        {
            queue.CompleteAdding();
            queue.Dispose();
        }
    }

    private void Add(TransferEvent item)
    {
        // A worker that outlives the cmdlet (only possible after a bounded wait on Ctrl+C ran out) has nobody to
        // report to; dropping its events is right, throwing into the engine is not.
        if (Volatile.Read(ref closed) != 0)
        {
            return;
        }

        try
        {
            queue.Add(item);
        }
        catch (InvalidOperationException)
        {
            // Added after CompleteAdding, or ObjectDisposedException (a subtype) after Dispose.
        }
    }
}
