using System;
using System.IO;
using System.Text;

namespace ResumeTransfer.Core.State;

/// <summary>
/// An exclusive, process-wide lock on one target, held for a transfer's lifetime. It is an OS lock on an
/// open file (flock on Unix, a share mode on Windows), so it dies with the process: kill -9 never leaves a
/// stale lock behind, only a harmless lock file that the next run reuses.
/// </summary>
public sealed class TransferLock : IDisposable
{
    private readonly FileStream stream;
    private readonly string path;

    private TransferLock(FileStream stream, string path)
    {
        this.stream = stream;
        this.path = path;
    }

    /// <summary>Takes the lock or throws <see cref="TransferException"/> of kind <see cref="TransferErrorKind.StateLocked"/>.</summary>
    public static TransferLock Acquire(string lockPath, string what)
    {
        FileStream stream;
        try
        {
            // Unbuffered: a note that finds no room must not be written again (and fail again) when the lock is released.
            stream = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1);
        }
        catch (IOException ex) when (File.Exists(lockPath))
        {
            throw new TransferException(
                TransferErrorKind.StateLocked,
                $"Another transfer is using '{what}' (lock file '{lockPath}'). Wait for it to finish or stop it, then run this command again.",
                ex);
        }

        var note = Encoding.UTF8.GetBytes($"pid {System.Diagnostics.Process.GetCurrentProcess().Id} {DateTimeOffset.UtcNow:O}\n");
        try
        {
            stream.SetLength(0);
            stream.Write(note, 0, note.Length);
            stream.Flush();
        }
        catch (IOException ex) when (Transfer.DiskSpace.IsDiskFull(ex))
        {
            // The note only helps a person looking at the file; the lock is the open handle. A full disk is reported by
            // the write that needs the room, with how much it needs.
        }

        return new TransferLock(stream, lockPath);
    }

    public void Dispose()
    {
        // Delete while still holding the lock, so no other process can be holding it on this file.
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        stream.Dispose();
    }
}
