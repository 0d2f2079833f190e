using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// A read-only pass-through that reports how far the reader (the HTTP client, a signer) has got, so the engine sees
/// bytes moving (stall detection, speed). Seeking passes through, so a client that rewinds reports from there again.
/// </summary>
internal sealed class ProgressReportingStream : ReadOnlyStream
{
    private readonly Stream inner;
    private readonly IProgress<long>? progress;

    public ProgressReportingStream(Stream inner, IProgress<long>? progress)
        : base(inner)
    {
        this.inner = inner;
        this.progress = progress;
    }

    public override bool CanSeek => inner.CanSeek;

    public override long Length => inner.Length;

    public override long Position
    {
        get => inner.Position;
        set => inner.Position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Moved(inner.Read(buffer, offset, count));

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Moved(await inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false));

#if NET
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Moved(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
#endif

    public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

    private int Moved(int read)
    {
        progress?.Report(inner.Position);
        return read;
    }
}
