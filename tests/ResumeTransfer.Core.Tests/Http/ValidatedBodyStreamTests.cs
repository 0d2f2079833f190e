using ResumeTransfer.Core.Download.Sources.Http;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

/// <summary>
/// The body wrapper's own rules, over in-memory streams (the same rules against real sockets are in
/// <see cref="HttpByteSourceTests"/>; here each one is isolated from what HttpClient already checks).
/// </summary>
public sealed class ValidatedBodyStreamTests
{
    private static readonly Uri Where = new("http://127.0.0.1/files/a.bin");

    [Fact]
    public async Task ExactLengthReadsToTheEnd()
    {
        using var body = Wrap(new MemoryStream(Bytes(10)), expectedLength: 10);
        Assert.Equal(Bytes(10), await ReadAllAsync(body));
        Assert.Equal(10L, body.BytesRead);
    }

    [Fact]
    public async Task UnknownLengthReadsWhateverComes()
    {
        using var body = Wrap(new MemoryStream(Bytes(7)), expectedLength: null);
        Assert.Equal(Bytes(7), await ReadAllAsync(body));
    }

    [Fact]
    public async Task EndBeforeThePromisedLengthThrowsTransient()
    {
        using var body = Wrap(new MemoryStream(Bytes(5)), expectedLength: 10);
        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.ConnectionFailed, ex.Kind);
        Assert.Contains("after 5 of 10 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SynchronousEndBeforeThePromisedLengthThrowsTransient()
    {
        using var body = Wrap(new MemoryStream(Bytes(5)), expectedLength: 10);
        var ex = Assert.Throws<TransientTransferException>(() => body.CopyTo(Stream.Null));
        Assert.Equal(TransferErrorKind.ConnectionFailed, ex.Kind);
    }

    [Fact]
    public async Task MoreThanPromisedThrowsTransientProtocolViolation()
    {
        using var body = Wrap(new MemoryStream(Bytes(11)), expectedLength: 10);
        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
    }

    [Fact]
    public async Task ZeroByteReadIsNotTheEnd()
    {
        using var body = Wrap(new MemoryStream(Bytes(10)), expectedLength: 10);
        Assert.Equal(0, await body.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(Bytes(10), await ReadAllAsync(body));
    }

    [Fact]
    public async Task BrokenConnectionIsTransient()
    {
        using var body = Wrap(new FailingStream(new IOException("Connection reset by peer")), expectedLength: 10);
        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.ConnectionFailed, ex.Kind);
        Assert.IsType<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task HttpRequestExceptionWhileReadingIsTransient()
    {
        using var body = Wrap(new FailingStream(new HttpRequestException("The response ended prematurely.")), expectedLength: null);
        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.ConnectionFailed, ex.Kind);
    }

    [Fact]
    public async Task SilentSourceTimesOut()
    {
        using var body = Wrap(new HangingStream(), expectedLength: 10, stallTimeout: TimeSpan.FromMilliseconds(100));
        var ex = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);

        // The body is dead after a stall: the next read says so again instead of waiting.
        var again = await Assert.ThrowsAsync<TransientTransferException>(() => ReadAllAsync(body));
        Assert.Equal(TransferErrorKind.TransferTimedOut, again.Kind);
    }

    [Fact]
    public void SilentSourceTimesOutOnSynchronousReads()
    {
        // A blocked synchronous read cannot observe a token; the watchdog disposes the response to break it.
        using var body = Wrap(new HangingStream(), expectedLength: 10, stallTimeout: TimeSpan.FromMilliseconds(100));
        var ex = Assert.Throws<TransientTransferException>(() => body.Read(new byte[4], 0, 4));
        Assert.Equal(TransferErrorKind.TransferTimedOut, ex.Kind);
    }

    [Fact]
    public async Task CancellingTheReadIsCancellationNotAStall()
    {
        using var body = Wrap(new HangingStream(), expectedLength: 10, stallTimeout: TimeSpan.FromMinutes(5));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => body.ReadAsync(new byte[4], cts.Token).AsTask());
        Assert.Equal(cts.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task CancellingTheOpenTokenIsCancellationNotAStall()
    {
        using var cts = new CancellationTokenSource();
        using var body = Wrap(new HangingStream(), expectedLength: 10, stallTimeout: TimeSpan.FromMinutes(5), openToken: cts.Token);
        cts.CancelAfter(TimeSpan.FromMilliseconds(100));
        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => body.ReadAsync(new byte[4], cts.Token).AsTask());
        Assert.IsNotType<TransientTransferException>(ex.InnerException);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => body.ReadAsync(new byte[4]).AsTask());
    }

    [Fact]
    public async Task TimeBetweenReadsIsNotAStall()
    {
        // The clock runs only while a read waits: a caller busy writing to disk is not a silent server.
        using var body = Wrap(new MemoryStream(Bytes(30)), expectedLength: 30, stallTimeout: TimeSpan.FromMilliseconds(150));
        var buffer = new byte[10];
        var total = 0;
        int n;
        while ((n = await body.ReadAsync(buffer)) > 0)
        {
            total += n;
            await Task.Delay(500);
        }

        Assert.Equal(30, total);
    }

    [Fact]
    public void DisposingTheBodyDisposesTheResponse()
    {
        var inner = new HangingStream();
        var body = Wrap(inner, expectedLength: 10);
        body.Dispose();
        Assert.True(inner.Disposed);
        Assert.Throws<ObjectDisposedException>(() => body.Read(new byte[4], 0, 4));
    }

    private static ValidatedBodyStream Wrap(Stream inner, long? expectedLength, TimeSpan? stallTimeout = null, CancellationToken openToken = default)
    {
        var response = new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new StreamContent(inner) };
        return new ValidatedBodyStream(response, inner, expectedLength, stallTimeout ?? TimeSpan.FromSeconds(30), TimeProvider.System, openToken, Where);
    }

    private static byte[] Bytes(int count) => Enumerable.Range(1, count).Select(i => (byte)i).ToArray();

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>A connection that never sends another byte, until it is disposed or the read is cancelled.</summary>
    private sealed class HangingStream : Stream
    {
        private readonly ManualResetEventSlim disposed = new();

        public bool Disposed => disposed.IsSet;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (!disposed.Wait(TimeSpan.FromSeconds(20)))
            {
                return 1; // nobody broke the blocked read: let the test see a byte instead of a failure
            }

            throw new ObjectDisposedException(nameof(HangingStream));
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromSeconds(20), cancellationToken);
            return 1; // nobody cancelled the read: let the test see a byte instead of a failure
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            disposed.Set();
            base.Dispose(disposing);
        }
    }

    /// <summary>A connection whose next read fails with the given exception.</summary>
    private sealed class FailingStream(Exception failure) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw failure;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromException<int>(failure);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
