using System;
using System.IO;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// What every read-only stream of ResumeTransfer says the same way (bodies read from a server, slices of a file sent to
/// one): it reads, never writes, and by default neither seeks nor knows its length. Disposing it disposes
/// <see cref="Inner"/> when there is one.
/// </summary>
internal abstract class ReadOnlyStream : Stream
{
    protected ReadOnlyStream(Stream? inner = null)
    {
        Inner = inner;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>The stream this one reads from and owns, if any.</summary>
    protected Stream? Inner { get; }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner?.Dispose();
        }

        base.Dispose(disposing);
    }
}
