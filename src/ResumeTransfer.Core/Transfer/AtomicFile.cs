using System;
using System.IO;
using System.Text;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Replaces a small file so that a crash at any moment leaves either the old or the new content, never a mix:
/// write a temp file beside it, flush it to disk, then rename it over the target. Both directions keep their state
/// files through it (<see cref="Download.DownloadStateStore"/>, <see cref="Upload.UploadStateStore"/>).
/// </summary>
public static class AtomicFile
{
    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="content"/>. The temporary file has a random name and is
    /// created exclusively, readable by its owner only (state may name private addresses). When it fails, no temp file is
    /// left and the previous file is intact; a full disk is <see cref="TransferErrorKind.DiskFull"/>. A symbolic link at
    /// <paramref name="path"/> is replaced, never written through.
    /// </summary>
    public static void WriteAllText(string path, string content)
    {
        var temp = OwnFile.TemporaryName(path);
        var bytes = Encoding.UTF8.GetBytes(content);
        try
        {
            using (var stream = OwnFile.CreateNew(temp, FileAccess.Write, FileShare.None, ownerOnly: true))
            {
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush(flushToDisk: true);
            }

            Replace(temp, path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            if (DiskSpace.IsDiskFull(ex))
            {
                throw new TransferException(
                    TransferErrorKind.DiskFull,
                    $"The state file '{path}' could not be written: the disk holding it is full ({DiskSpace.FreeText(path)}, {DiskSpace.Bytes(bytes.Length)} needed). " +
                    "The previous state file is kept. Free some space, then run the same command with -Resume.",
                    ex);
            }

            throw;
        }
    }

    /// <summary>The text of <paramref name="path"/>, or null when there is no such file; a symbolic link there is an error, never read through.</summary>
    public static string? ReadAllTextOrNull(string path)
    {
        try
        {
            using var stream = OwnFile.Open(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Deletes <paramref name="path"/> and any temporary file a crashed <see cref="WriteAllText"/> left beside it.</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        OwnFile.DeleteTemporaries(path);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The original failure is the one to report; a temp file that cannot be deleted either is replaced next time.
        }
    }

    /// <summary>Renames <paramref name="source"/> onto <paramref name="destination"/>, replacing it if present.</summary>
    public static void Replace(string source, string destination)
    {
#if NET
        File.Move(source, destination, overwrite: true);
#else
        if (File.Exists(destination))
        {
            File.Replace(source, destination, destinationBackupFileName: null);
        }
        else
        {
            File.Move(source, destination);
        }
#endif
    }
}
