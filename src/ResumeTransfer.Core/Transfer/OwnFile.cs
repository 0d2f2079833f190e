using System;
using System.IO;
using System.Security.Cryptography;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Creates and opens the files ResumeTransfer keeps beside a transfer (part, state, lock and their temporary files)
/// without ever following a symbolic link: someone who can write to the folder could plant a link there to make a
/// transfer overwrite or extend a file elsewhere. New files are created exclusively (a name that exists, link or not,
/// fails instead of being opened); an existing file is opened only after it is checked not to be a link, and checked
/// again once open.
/// </summary>
internal static class OwnFile
{
    private const int RandomHexDigits = 16;
    private const string TemporarySuffix = ".tmp";

    /// <summary>True when <paramref name="path"/> is a symbolic link (or another reparse point), dangling or not.</summary>
    public static bool IsLink(string path)
    {
#if NET
        return new FileInfo(path).LinkTarget is not null;
#else
        var attributes = new FileInfo(path).Attributes;
        return (int)attributes != -1 && (attributes & FileAttributes.ReparsePoint) != 0;
#endif
    }

    /// <summary>True when a file, a link (even a dangling one) or a folder has the name <paramref name="path"/>.</summary>
    public static bool Exists(string path) => File.Exists(path) || Directory.Exists(path) || IsLink(path);

    /// <summary>Throws <see cref="TransferErrorKind.InvalidState"/> when <paramref name="path"/> is a symbolic link.</summary>
    public static void ThrowIfLink(string path)
    {
        if (IsLink(path))
        {
            throw new TransferException(
                TransferErrorKind.InvalidState,
                $"'{path}' is a symbolic link. ResumeTransfer never follows a link where it keeps its own files (someone may have placed it " +
                "there to make this transfer write to another file); nothing was written through it. Remove the link and run the command again.");
        }
    }

    /// <summary>Creates <paramref name="path"/>, failing if anything of that name exists; <paramref name="ownerOnly"/> makes it readable by its owner only (Unix).</summary>
    public static FileStream CreateNew(string path, FileAccess access, FileShare share, FileOptions options = FileOptions.None, bool ownerOnly = false)
    {
#if NET
        var streamOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = access, Share = share, Options = options, BufferSize = 1 };
        if (ownerOnly && !OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return new FileStream(path, streamOptions);
#else
        _ = ownerOnly;
        return new FileStream(path, FileMode.CreateNew, access, share, bufferSize: 1, options);
#endif
    }

    /// <summary>
    /// Opens <paramref name="path"/> with <paramref name="mode"/> (<see cref="FileMode.Open"/> or
    /// <see cref="FileMode.OpenOrCreate"/>; never one that truncates) unless it is a symbolic link.
    /// </summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, FileShare share, FileOptions options = FileOptions.None)
    {
        if (mode is not (FileMode.Open or FileMode.OpenOrCreate))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Only Open and OpenOrCreate: a truncating open could act through a link before it is checked.");
        }

        ThrowIfLink(path);
        var stream = new FileStream(path, mode, access, share, bufferSize: 1, options);
        try
        {
            // A link swapped in between the check and the open: nothing has been written yet.
            ThrowIfLink(path);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>A new, unpredictable name beside <paramref name="path"/> for a temporary file: <c>&lt;path&gt;.&lt;16 hex&gt;.tmp</c>.</summary>
    public static string TemporaryName(string path)
    {
        var random = new byte[RandomHexDigits / 2];
        using (var generator = RandomNumberGenerator.Create())
        {
            generator.GetBytes(random);
        }

        return path + "." + Hex.Lower(random) + TemporarySuffix;
    }

    /// <summary>
    /// Deletes the temporary files <see cref="TemporaryName"/> made for <paramref name="path"/> that a crash left behind,
    /// and the fixed-name one (<c>&lt;path&gt;.tmp</c>) earlier versions wrote; nothing else of a similar name (a link is
    /// removed, never followed).
    /// </summary>
    public static void DeleteTemporaries(string path)
    {
        var folder = Path.GetDirectoryName(path);
        if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder))
        {
            return;
        }

        File.Delete(path + TemporarySuffix);
        var prefix = Path.GetFileName(path) + ".";
        foreach (var leftover in Directory.GetFiles(folder, prefix + "*" + TemporarySuffix))
        {
            if (IsRandomPart(Path.GetFileName(leftover), prefix.Length))
            {
                File.Delete(leftover);
            }
        }
    }

    // <prefix><16 lower-case hex>.tmp, exactly as TemporaryName makes it.
    private static bool IsRandomPart(string name, int start)
    {
        if (name.Length != start + RandomHexDigits + TemporarySuffix.Length)
        {
            return false;
        }

        for (var i = start; i < start + RandomHexDigits; i++)
        {
            if (name[i] is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Gives <paramref name="destination"/> the permissions of <paramref name="source"/> (Unix; a no-op where there are none or the source is gone).</summary>
    public static void CopyPermissions(string source, string destination)
    {
#if NET
        if (OperatingSystem.IsWindows() || !File.Exists(source) || IsLink(source))
        {
            return;
        }

        File.SetUnixFileMode(destination, File.GetUnixFileMode(source));
#else
        _ = source;
        _ = destination;
#endif
    }
}
