using System;
using System.Threading;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Cancels one attempt when it makes no progress for the stall timeout: no byte handed to the network and no answer.
/// Each <see cref="Kick"/> (a byte moved) restarts the clock.
/// </summary>
internal sealed class StallWatchdog : IDisposable
{
    private readonly CancellationTokenSource cancellation;
    private readonly ITimer timer;
    private readonly TimeSpan timeout;
    private int fired;

    public StallWatchdog(TimeProvider time, TimeSpan timeout, CancellationToken outer)
    {
        this.timeout = timeout;
        cancellation = CancellationTokenSource.CreateLinkedTokenSource(outer);
        timer = time.CreateTimer(_ => Fire(), null, timeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Cancelled by the outer token or by a stall.</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>True once the stall timeout elapsed without progress.</summary>
    public bool Fired => Volatile.Read(ref fired) == 1;

    public void Kick() => timer.Change(timeout, Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        timer.Dispose();
        cancellation.Dispose();
    }

    private void Fire()
    {
        Volatile.Write(ref fired, 1);
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt finished just as the timer fired.
        }
    }
}
