using Microsoft.AspNetCore.Http;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// Faults in front of the receiver for client tests: a delay before each chunk request is read (so a cancellation
/// lands while chunks are in flight), damaged bytes in the first chunk requests (as a bad link would damage them) and
/// a server that stops taking chunks after the first N (a run that fails at a known point), and one chunk request
/// answered 500 (a server having a bad moment).
/// </summary>
public sealed class ChunkApiFaults
{
    private int _corruptLeft;
    private int _chunksSeen;
    private int _merges;
    private int _chunkRequests;
    private int _failed;

    /// <summary>Waited before a chunk request's body is read.</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>How many chunk requests get one byte of their chunk flipped.</summary>
    public int CorruptChunks
    {
        get => Volatile.Read(ref _corruptLeft);
        init => _corruptLeft = value;
    }

    /// <summary>
    /// When set, chunk requests after the first N seen are answered 503 (their body read and dropped). Set it to null to
    /// bring the server back.
    /// </summary>
    public int? UnavailableAfterChunks { get; set; }

    /// <summary>
    /// When set, the first merge request finds the server without these chunks (their stored files deleted), as after
    /// a restore from an older backup; with <see cref="LoseOnEveryMerge"/>, every merge does.
    /// </summary>
    public IReadOnlyList<int>? LoseChunksBeforeMerge { get; init; }

    /// <summary>Lose <see cref="LoseChunksBeforeMerge"/> before every merge, not only the first.</summary>
    public bool LoseOnEveryMerge { get; init; }

    /// <summary>When set, the chunk request with this 1-based count is answered 500 (its body read and dropped), once.</summary>
    public int? FailChunkRequest { get; init; }

    /// <summary>Chunk requests answered 500 by <see cref="FailChunkRequest"/>.</summary>
    public int FailedChunkRequests => Volatile.Read(ref _failed);

    /// <summary>Merge requests seen.</summary>
    public int Merges => Volatile.Read(ref _merges);

    /// <summary>The receiver's storage (set by <see cref="ChunkApiServer"/>).</summary>
    internal string? StorageDirectory { get; set; }

    internal async Task ApplyAsync(HttpContext context, RequestDelegate next)
    {
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals("/chunks/merge", StringComparison.Ordinal))
        {
            var merge = Interlocked.Increment(ref _merges);
            if (LoseChunksBeforeMerge is { } lose && (merge == 1 || LoseOnEveryMerge) && StorageDirectory is { } storage)
            {
                var chunks = Path.Combine(storage, context.Request.Query["upload_id"].ToString(), "chunks");
                foreach (var index in lose)
                {
                    foreach (var file in Directory.Exists(chunks) ? Directory.GetFiles(chunks, $"{index}.*") : [])
                    {
                        File.Delete(file);
                    }
                }
            }
        }

        if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals("/chunks", StringComparison.Ordinal))
        {
            if (Interlocked.Increment(ref _chunkRequests) == FailChunkRequest)
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                Interlocked.Increment(ref _failed);
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            if (UnavailableAfterChunks is { } passing && Interlocked.Increment(ref _chunksSeen) > passing)
            {
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }

            if (ChunkDelay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(ChunkDelay, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            // 100 bytes before the end is inside the chunk's bytes: only the closing boundary (about 50 bytes) follows.
            if (context.Request.ContentLength is > 200 and { } length && Interlocked.Decrement(ref _corruptLeft) >= 0)
            {
                context.Request.Body = new FlippingStream(context.Request.Body, length - 100);
            }
        }

        await next(context);
    }

    /// <summary>Passes a stream through with the byte at one position inverted.</summary>
    private sealed class FlippingStream(Stream inner, long flipAt) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Flip(buffer.AsSpan(offset), inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            return Flip(buffer.Span, read);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Flip(Span<byte> buffer, int read)
        {
            if (flipAt >= _position && flipAt < _position + read)
            {
                buffer[(int)(flipAt - _position)] ^= 0xFF;
            }

            _position += read;
            return read;
        }
    }
}
