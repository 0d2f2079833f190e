using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Free space and "disk full" for both directions: the part file checks before it is sized, and every write of data
/// or state turns the operating system's out-of-space error into <see cref="TransferErrorKind.DiskFull"/>, which is
/// never retried (a retry cannot make room).
/// </summary>
internal static class DiskSpace
{
    // ENOSPC (Linux and macOS), EDQUOT on Linux; on Windows IOException.HResult is HRESULT_FROM_WIN32 of
    // ERROR_DISK_FULL (112) and ERROR_HANDLE_DISK_FULL (39).
    private const int NoSpace = 28;
    private const int LinuxQuotaExceeded = 122;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>
    /// Bytes free to this user on the volume that holds <paramref name="path"/> (a file, which need not exist yet), or
    /// null when that cannot be learned (a network share, a platform without the call): the write then finds out.
    /// </summary>
    public static long? AvailableBytes(string path)
    {
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (string.IsNullOrEmpty(folder))
            {
                return null;
            }

            // On Unix DriveInfo takes any path and asks statvfs about the file system that holds it (so a tmpfs or
            // other mount under / is measured, not /); Windows' DriveInfo takes only a drive root.
            var volume = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? Path.GetPathRoot(folder) : folder;
            return string.IsNullOrEmpty(volume) ? null : new DriveInfo(volume).AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>True for the error a write fails with when the volume (or the user's quota) has no room left.</summary>
    public static bool IsDiskFull(Exception exception) =>
        exception is IOException { HResult: var code } && code switch
        {
            WindowsDiskFull or WindowsHandleDiskFull => true,
            NoSpace => !RuntimeInformation.IsOSPlatform(OSPlatform.Windows),
            LinuxQuotaExceeded => RuntimeInformation.IsOSPlatform(OSPlatform.Linux),
            _ => false,
        };

    /// <summary>
    /// Throws <see cref="TransferErrorKind.DiskFull"/> before anything is written when the volume of
    /// <paramref name="path"/> has less than <paramref name="needed"/> bytes free (<paramref name="reclaimed"/> of them
    /// freed first by the caller, such as an old part file it truncates).
    /// </summary>
    public static void EnsureRoom(string path, long needed, long reclaimed, string what)
    {
        if (needed <= 0 || AvailableBytes(path) is not { } free || free + reclaimed >= needed)
        {
            return;
        }

        var missing = needed - free - reclaimed;
        throw new TransferException(
            TransferErrorKind.DiskFull,
            $"{what} needs {Bytes(needed)} but the disk holding '{Path.GetDirectoryName(Path.GetFullPath(path))}' has only {Bytes(free + reclaimed)} free; no data was written. " +
            $"Free at least {Bytes(missing)} there (or choose another -OutFile), then run the same command again (with -Resume to keep what is already downloaded).");
    }

    /// <summary>"N bytes (x.y MiB)": exact for scripts, readable for people.</summary>
    public static string Bytes(long count) =>
        count < 1024 * 1024
            ? string.Format(CultureInfo.InvariantCulture, "{0} bytes", count)
            : string.Format(CultureInfo.InvariantCulture, "{0} bytes ({1:0.#} MiB)", count, count / (1024.0 * 1024.0));

    /// <summary>The free space as a phrase for messages ("12 bytes free", or nothing when unknown).</summary>
    public static string FreeText(string path) => AvailableBytes(path) is { } free ? $"{Bytes(free)} free" : "free space unknown";
}
