using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.State;
#if NET
using Microsoft.Win32.SafeHandles;
#else
using System.Collections.Concurrent;
#endif

namespace ResumeTransfer.Core.Download;

/// <summary>
/// The part file, written at arbitrary offsets by several workers at once. On .NET 8 every worker writes through one
/// shared handle with positioned writes (no seek, no lock); on netstandard2.0 each concurrent write borrows its own
/// unbuffered FileStream and seeks it. <see cref="FlushToDisk"/> makes every completed write durable.
/// </summary>
internal sealed class PartFileWriter : IDisposable
{
    // Owns the handle and provides Flush(flushToDisk: true), which is fsync / FlushFileBuffers.
    private readonly FileStream control;
#if NET
    private readonly SafeFileHandle handle;
#else
    private readonly string path;
    private readonly ConcurrentBag<FileStream> writers = new();
#endif

    private PartFileWriter(string path, FileStream control)
    {
        this.control = control;
#if NET
        handle = control.SafeFileHandle;
        _ = path;
#else
        this.path = path;
#endif
    }

    /// <summary>
    /// Opens the part file to continue it, or with <paramref name="truncate"/> replaces whatever has its name by a new,
    /// empty file. A symbolic link there is never written through (<see cref="OwnFile"/>): continuing refuses it,
    /// replacing removes the link itself.
    /// </summary>
    public static PartFileWriter Open(string path, bool truncate)
    {
        FileStream control;
        if (truncate)
        {
            File.Delete(path);
            control = OwnFile.CreateNew(path, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        }
        else
        {
            control = OwnFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        }

        return new PartFileWriter(path, control);
    }

    public long Length => control.Length;

    /// <summary>Sets the file's length (pre-sizing lets the file system allocate once and makes offsets valid).</summary>
    public void SetLength(long length) => control.SetLength(length);

    /// <summary>Writes <paramref name="count"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/>; safe to call concurrently for disjoint ranges.</summary>
    public async ValueTask WriteAsync(long offset, byte[] buffer, int count, CancellationToken cancellationToken)
    {
#if NET
        await RandomAccess.WriteAsync(handle, new ReadOnlyMemory<byte>(buffer, 0, count), offset, cancellationToken).ConfigureAwait(false);
#else
        if (!writers.TryTake(out var stream))
        {
            stream = OwnFile.Open(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, FileOptions.Asynchronous);
        }

        try
        {
            stream.Position = offset;
            await stream.WriteAsync(buffer, 0, count, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }

        writers.Add(stream);
#endif
    }

    /// <summary>Forces every completed write to stable storage. Called before a state file that counts those bytes is written.</summary>
    public void FlushToDisk()
    {
#if !NET
        foreach (var stream in writers)
        {
            stream.Flush();
        }
#endif
        control.Flush(flushToDisk: true);
    }

    public void Dispose()
    {
#if !NET
        while (writers.TryTake(out var stream))
        {
            stream.Dispose();
        }
#endif
        control.Dispose();
    }
}
