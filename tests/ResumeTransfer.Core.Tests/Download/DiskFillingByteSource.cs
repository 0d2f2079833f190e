using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>
/// A real source whose bodies, once <c>after</c> bytes of them have been read in all, run <c>fill</c> once: another
/// program filling the disk while the download writes, after the free-space check passed (which a server that declares
/// a length the disk holds, and then more downloads on the same disk, also lead to).
/// </summary>
internal sealed class DiskFillingByteSource : IByteSource
{
    private readonly IByteSource inner;
    private readonly long after;
    private readonly Action fill;
    private long read;
    private int filled;

    public DiskFillingByteSource(IByteSource inner, long after, Action fill)
    {
        this.inner = inner;
        this.after = after;
        this.fill = fill;
    }

    public Uri DisplayUri => inner.DisplayUri;

    public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken) => inner.ProbeAsync(cancellationToken);

    public async Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken)
    {
        var body = await inner.OpenRangeAsync(offset, endInclusive, expected, cancellationToken);
        return new RangeBody(body.Answer, body.StartOffset, body.Length, body.Identity, new Counting(this, body.Content), body);
    }

    public void Dispose() => inner.Dispose();

    private void Count(int bytes)
    {
        if (Interlocked.Add(ref read, bytes) >= after && Interlocked.Exchange(ref filled, 1) == 0)
        {
            fill();
        }
    }

    private sealed class Counting(DiskFillingByteSource owner, Stream content) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = await content.ReadAsync(buffer, cancellationToken);
            owner.Count(count);
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = content.Read(buffer, offset, count);
            owner.Count(read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                content.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
