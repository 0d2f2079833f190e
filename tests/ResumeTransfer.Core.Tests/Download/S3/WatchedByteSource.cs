using System.Collections.Concurrent;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Tests.Download.S3;

/// <summary>
/// A real source with a test's hooks around it: records every range asked for, runs an action before a chosen
/// OpenRangeAsync call (to overwrite the object mid-download), and cancels a token once the bodies delivered a number
/// of bytes (an interruption at a known point). Everything else goes to the real source.
/// </summary>
internal sealed class WatchedByteSource : IByteSource
{
    private readonly IByteSource inner;
    private readonly ConcurrentQueue<(long Offset, long? End)> ranges = new();
    private int opened;
    private long delivered;

    public WatchedByteSource(IByteSource inner)
    {
        this.inner = inner;
    }

    /// <summary>Runs (once) before the OpenRangeAsync call with this 1-based number.</summary>
    public (int Call, Func<Task> Action)? BeforeOpen { get; init; }

    /// <summary>Cancelled once the bodies delivered <see cref="CancelAfterBytes"/> bytes.</summary>
    public CancellationTokenSource? CancelWhenDelivered { get; init; }

    public long CancelAfterBytes { get; init; } = long.MaxValue;

    /// <summary>Every [offset, endInclusive] asked for, in order.</summary>
    public IReadOnlyList<(long Offset, long? End)> Ranges => ranges.ToArray();

    public long Delivered => Interlocked.Read(ref delivered);

    public Uri DisplayUri => inner.DisplayUri;

    public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    public async Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken)
    {
        ranges.Enqueue((offset, endInclusive));
        var call = Interlocked.Increment(ref opened);
        if (BeforeOpen is { } hook && hook.Call == call)
        {
            await hook.Action();
        }

        var body = await inner.OpenRangeAsync(offset, endInclusive, expected, cancellationToken);
        return new RangeBody(body.Answer, body.StartOffset, body.Length, body.Identity, new CountingStream(body.Content, this), body);
    }

    public void Dispose() => inner.Dispose();

    private void Count(int read)
    {
        if (Interlocked.Add(ref delivered, read) >= CancelAfterBytes)
        {
            CancelWhenDelivered?.Cancel();
        }
    }

    /// <summary>Counts what is read through it; the read-only rest comes from Core's own base.</summary>
    private sealed class CountingStream : ReadOnlyStream
    {
        private readonly Stream inner;
        private readonly WatchedByteSource owner;

        public CountingStream(Stream inner, WatchedByteSource owner)
            : base(inner)
        {
            this.inner = inner;
            this.owner = owner;
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = inner.Read(buffer, offset, count);
            owner.Count(read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            owner.Count(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
