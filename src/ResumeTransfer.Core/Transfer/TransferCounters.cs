using System.Threading;

namespace ResumeTransfer.Core.Transfer;

/// <summary>Lock-free tallies the workers of either direction update as bytes move, and the progress reporter reads.</summary>
internal sealed class TransferCounters
{
    private long completedBytes;
    private long movedBytes;
    private int activeConnections;

    /// <summary>Bytes done for good: on disk (download) or acknowledged by the server (upload), resumed ones included.</summary>
    public long CompletedBytes => Interlocked.Read(ref completedBytes);

    /// <summary>Bytes that crossed the network in this run (received, or handed to the network), including any later discarded or sent again.</summary>
    public long MovedBytes => Interlocked.Read(ref movedBytes);

    /// <summary>Connections moving bytes right now.</summary>
    public int ActiveConnections => Volatile.Read(ref activeConnections);

    public void AddMoved(long count) => Interlocked.Add(ref movedBytes, count);

    public void AddCompleted(long delta) => Interlocked.Add(ref completedBytes, delta);

    /// <summary>The completed bytes changed for another reason than a transfer (start, restart, an offset the server reported).</summary>
    public void SetCompleted(long value) => Interlocked.Exchange(ref completedBytes, value);

    public void ConnectionOpened() => Interlocked.Increment(ref activeConnections);

    public void ConnectionClosed() => Interlocked.Decrement(ref activeConnections);
}
