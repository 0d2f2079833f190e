using ResumeTransfer.Core.Upload;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// Wraps a real protocol to stop an upload the way Ctrl+C does: it cancels the run's token once
/// <see cref="CancelAfterBytes"/> payload bytes have been handed to the network (mid-chunk) and at least
/// <see cref="CancelAfterChunks"/> chunks were acknowledged, and counts every byte it saw go out, so a resumed run can
/// be checked to send at most one chunk per connection again. Everything else is the real protocol talking to the
/// real server.
/// </summary>
public sealed class InterruptingProtocol : IUploadProtocol
{
    private readonly IUploadProtocol inner;
    private readonly Action onDue;
    private long transmitted;
    private int acknowledged;
    private int fired;

    public InterruptingProtocol(IUploadProtocol inner, CancellationTokenSource cancel, long cancelAfterBytes, int cancelAfterChunks = 0)
        : this(inner, cancel.Cancel, cancelAfterBytes, cancelAfterChunks)
    {
    }

    /// <summary>Runs <paramref name="onDue"/> once instead of cancelling (e.g. to restart the server mid-chunk).</summary>
    public InterruptingProtocol(IUploadProtocol inner, Action onDue, long cancelAfterBytes, int cancelAfterChunks = 0)
    {
        this.inner = inner;
        this.onDue = onDue;
        CancelAfterBytes = cancelAfterBytes;
        CancelAfterChunks = cancelAfterChunks;
    }

    public long CancelAfterBytes { get; }

    public int CancelAfterChunks { get; }

    /// <summary>Payload bytes handed to the network, over all attempts and chunks.</summary>
    public long Transmitted => Interlocked.Read(ref transmitted);

    public UploadProtocolKind Kind => inner.Kind;

    public UploadAddressing Addressing => inner.Addressing;

    public ChunkLimits ChunkLimits => inner.ChunkLimits;

    public int MaximumConnections => inner.MaximumConnections;

    public string Target => inner.Target;

    public Task<UploadSession> CreateAsync(UploadSource source, long chunkSize, CancellationToken cancellationToken) => inner.CreateAsync(source, chunkSize, cancellationToken);

    public Task<ServerUploadStatus?> GetStatusAsync(UploadSession session, UploadSource source, CancellationToken cancellationToken) => inner.GetStatusAsync(session, source, cancellationToken);

    public async Task<ChunkReceipt> SendChunkAsync(UploadSession session, UploadSource source, UploadChunk chunk, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var counter = new Counter(this, progress);
        try
        {
            var receipt = await inner.SendChunkAsync(session, source, chunk, counter, cancellationToken);
            Interlocked.Increment(ref acknowledged);
            CancelWhenDue();
            return receipt;
        }
        finally
        {
            counter.Close();
        }
    }

    public Task<UploadCompletion> CompleteAsync(UploadSession session, UploadSource source, IReadOnlyList<ChunkReceipt> parts, CancellationToken cancellationToken) =>
        inner.CompleteAsync(session, source, parts, cancellationToken);

    public Task AbortAsync(UploadSession session, CancellationToken cancellationToken) => inner.AbortAsync(session, cancellationToken);

    public void Dispose() => inner.Dispose();

    private void CancelWhenDue()
    {
        if (Transmitted >= CancelAfterBytes && Volatile.Read(ref acknowledged) >= CancelAfterChunks && Interlocked.Exchange(ref fired, 1) == 0)
        {
            onDue();
        }
    }

    /// <summary>Counts one attempt's bytes (the progress value is the position within the attempt's body).</summary>
    private sealed class Counter : IProgress<long>
    {
        private readonly InterruptingProtocol owner;
        private readonly IProgress<long>? next;
        private long highest;

        public Counter(InterruptingProtocol owner, IProgress<long>? next)
        {
            this.owner = owner;
            this.next = next;
        }

        public void Report(long value)
        {
            next?.Report(value);
            lock (this)
            {
                if (value > highest)
                {
                    Interlocked.Add(ref owner.transmitted, value - highest);
                    highest = value;
                }
            }

            owner.CancelWhenDue();
        }

        public void Close()
        {
            lock (this)
            {
                highest = 0;
            }
        }
    }
}
