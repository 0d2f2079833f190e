using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// A read-only, seekable window [start, start + length) over a file. It never reads past the window, and a file that
/// became shorter than the window is an error (not a silently short chunk).
/// </summary>
internal sealed class FileSliceStream : ReadOnlyStream
{
    private readonly FileStream file;
    private readonly long start;
    private readonly long length;
    private long position;

    public FileSliceStream(FileStream file, long start, long length)
        : base(file)
    {
        this.file = file;
        this.start = start;
        this.length = length;
        file.Position = start;
    }

    public override bool CanSeek => true;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var wanted = Limit(count);
        if (wanted == 0)
        {
            return 0;
        }

        var read = file.Read(buffer, offset, wanted);
        return Advance(read);
    }

    public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        var wanted = Limit(count);
        if (wanted == 0)
        {
            return 0;
        }

        var read = await file.ReadAsync(buffer, offset, wanted, cancellationToken).ConfigureAwait(false);
        return Advance(read);
    }

#if NET
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var wanted = Limit(buffer.Length);
        if (wanted == 0)
        {
            return 0;
        }

        var read = await file.ReadAsync(buffer.Slice(0, wanted), cancellationToken).ConfigureAwait(false);
        return Advance(read);
    }
#endif

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            _ => length + offset,
        };
        if (target < 0 || target > length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset));
        }

        position = target;
        file.Position = start + target;
        return position;
    }

    private int Limit(int count) => (int)Math.Min(count, length - position);

    private int Advance(int read)
    {
        if (read == 0)
        {
            throw new IOException($"The source file ended at byte {start + position}, before the end of the chunk ({start + length}): it was changed or truncated during the upload.");
        }

        position += read;
        return read;
    }
}
