using System;
using System.IO;

namespace ResumeTransfer.Core.Transfer;

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

    /// <summary>
    /// Takes the lock or throws <see cref="TransferException"/> of kind <see cref="TransferErrorKind.StateLocked"/>
    /// (or <see cref="TransferErrorKind.InvalidState"/> when a symbolic link has the lock file's name). The lock file is
    /// opened, never truncated or written: a planted file or link must not be damaged through it.
    /// </summary>
    public static TransferLock Acquire(string lockPath, string what)
    {
        // The previous holder deletes the file after closing it; a lock taken on a file deleted meanwhile is no lock.
        for (var attempt = 0; ; attempt++)
        {
            FileStream stream;
            try
            {
                stream = OwnFile.Open(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex) when (File.Exists(lockPath))
            {
                throw new TransferException(
                    TransferErrorKind.StateLocked,
                    $"Another transfer is using '{what}' (lock file '{lockPath}'). Wait for it to finish or stop it, then run this command again.",
                    ex);
            }

            if (File.Exists(lockPath) || attempt == 2)
            {
                return new TransferLock(stream, lockPath);
            }

            stream.Dispose();
        }
    }

    public void Dispose()
    {
        // Closed first, then deleted (Windows cannot delete a file open without FileShare.Delete). A run that opened the
        // file in between finds it gone and takes its lock again on a new one.
        stream.Dispose();
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
    }
}
