using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;
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
    /// Opens (creating if needed) the part file, never through a symbolic link (<see cref="OwnFile"/>: continuing refuses
    /// one, <paramref name="truncate"/> replaces the link itself), and sizes it to <paramref name="length"/> when that is known (one
    /// allocation, and every segment's offsets exist from the start); <paramref name="truncate"/> discards what it holds.
    /// Throws <see cref="TransferErrorKind.DiskFull"/> before creating or growing anything when the volume has less room
    /// than the file grows by.
    /// </summary>
    public static PartFileWriter Open(string path, bool truncate, long? length, string name)
    {
        var existing = File.Exists(path) ? new FileInfo(path).Length : 0;
        if (length is { } wanted)
        {
            DiskSpace.EnsureRoom(path, truncate ? wanted : wanted - existing, truncate ? existing : 0, truncate || existing == 0 ? $"'{name}'" : $"The rest of '{name}'");
        }

        FileStream control;
        if (truncate)
        {
            // Whatever has the part file's name goes, a symbolic link itself (never what it points to) included.
            File.Delete(path);
            control = OwnFile.CreateNew(path, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        }
        else
        {
            control = OwnFile.Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, FileOptions.Asynchronous);
        }

        var writer = new PartFileWriter(path, control);
        try
        {
            if (length is { } size && control.Length != size)
            {
                writer.SetLength(size);
            }

            return writer;
        }
        catch
        {
            var empty = control.Length == 0;
            writer.Dispose();
            if (empty)
            {
                // Created or emptied just now (a volume that allocates on sizing had no room): leave nothing behind.
                File.Delete(path);
            }

            throw;
        }
    }

    public long Length => control.Length;

    /// <summary>Sets the file's length; <see cref="TransferErrorKind.DiskFull"/> when the volume cannot hold it.</summary>
    public void SetLength(long length)
    {
        try
        {
            control.SetLength(length);
        }
        catch (IOException ex) when (DiskSpace.IsDiskFull(ex))
        {
            throw Full($"sizing it to {DiskSpace.Bytes(length)}", ex);
        }
    }

    /// <summary>
    /// Writes <paramref name="count"/> bytes of <paramref name="buffer"/> at <paramref name="offset"/>; safe to call
    /// concurrently for disjoint ranges. A full volume is <see cref="TransferErrorKind.DiskFull"/> (the bytes may be
    /// written in part; the caller counts none of them).
    /// </summary>
    public async ValueTask WriteAsync(long offset, byte[] buffer, int count, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAtAsync(offset, buffer, count, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex) when (DiskSpace.IsDiskFull(ex))
        {
            throw Full($"writing {count} bytes at byte {offset}", ex);
        }
    }

    private async ValueTask WriteAtAsync(long offset, byte[] buffer, int count, CancellationToken cancellationToken)
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

    private TransferException Full(string doing, IOException inner) =>
        new(TransferErrorKind.DiskFull, $"The disk holding '{control.Name}' is full ({DiskSpace.FreeText(control.Name)}): {doing} failed.", inner);

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
