using System;
using System.Threading;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Cancels one attempt that makes no progress for the stall timeout, on the clock of the injected
/// <see cref="TimeProvider"/> (so tests advance it instead of waiting). Used by both directions: a download read arms it
/// before each read and disarms it after (time spent writing to disk is not a stall); an upload send arms it once and
/// re-arms it on every byte handed to the network.
/// </summary>
internal sealed class StallWatchdog : IDisposable
{
    // ITimer (like System.Threading.Timer) takes at most 0xFFFFFFFE ms; anything longer means never.
    private static readonly TimeSpan Longest = TimeSpan.FromMilliseconds(uint.MaxValue - 1.0);

    private readonly CancellationTokenSource cancellation;
    private readonly ITimer? timer;
    private int fired;
    private int disposed;

    /// <param name="time">The clock.</param>
    /// <param name="timeout">Longest time without progress; zero, negative or infinite never fires.</param>
    /// <param name="outer">Cancelling it also cancels <see cref="Token"/> (and is not a stall).</param>
    /// <param name="armed">True to start the clock now.</param>
    public StallWatchdog(TimeProvider time, TimeSpan timeout, CancellationToken outer, bool armed)
    {
        Timeout = timeout;
        cancellation = outer.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(outer) : new CancellationTokenSource();
        if (timeout > TimeSpan.Zero && timeout < Longest)
        {
            timer = time.CreateTimer(static s => ((StallWatchdog)s!).Fire(), this, armed ? timeout : System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>The stall timeout it was made with.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Cancelled by the outer token or by a stall.</summary>
    public CancellationToken Token => cancellation.Token;

    /// <summary>True once the timeout elapsed without progress (and not merely because the outer token was cancelled).</summary>
    public bool Fired => Volatile.Read(ref fired) == 1;

    /// <summary>Starts the clock again from now: progress was made, or a wait for progress begins.</summary>
    public void Arm() => Change(Timeout);

    /// <summary>Stops the clock until the next <see cref="Arm"/>.</summary>
    public void Disarm() => Change(System.Threading.Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
        {
            timer?.Dispose();
            cancellation.Dispose();
        }
    }

    private void Change(TimeSpan due)
    {
        if (timer is null || Volatile.Read(ref disposed) != 0)
        {
            return;
        }

        try
        {
            timer.Change(due, System.Threading.Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // Disposed by another thread meanwhile: the attempt is over.
        }
    }

    private void Fire()
    {
        if (cancellation.IsCancellationRequested)
        {
            return; // cancelled from outside first: that is not a stall
        }

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
