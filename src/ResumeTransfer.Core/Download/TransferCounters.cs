using System.Threading;

namespace ResumeTransfer.Core.Download;

/// <summary>Lock-free tallies the workers update on every write and the progress reporter reads.</summary>
internal sealed class TransferCounters
{
    private long completedBytes;
    private long downloadedBytes;
    private int activeConnections;

    /// <summary>Bytes of the current version on disk, resumed ones included.</summary>
    public long CompletedBytes => Interlocked.Read(ref completedBytes);

    /// <summary>Bytes received over the network in this run, including any later discarded.</summary>
    public long DownloadedBytes => Interlocked.Read(ref downloadedBytes);

    /// <summary>Responses being read right now.</summary>
    public int ActiveConnections => Volatile.Read(ref activeConnections);

    public void AddWritten(long count)
    {
        Interlocked.Add(ref completedBytes, count);
        Interlocked.Add(ref downloadedBytes, count);
    }

    /// <summary>Bytes on disk changed for another reason than a write (start, restart, rewrite from byte 0).</summary>
    public void SetCompleted(long value) => Interlocked.Exchange(ref completedBytes, value);

    public void AddCompleted(long delta) => Interlocked.Add(ref completedBytes, delta);

    public void ConnectionOpened() => Interlocked.Increment(ref activeConnections);

    public void ConnectionClosed() => Interlocked.Decrement(ref activeConnections);
}
