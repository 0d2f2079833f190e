using System;
using System.IO;
using System.Runtime.InteropServices;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// The files of one download: the target and, beside it, the part file (data), the state file (progress) and the
/// lock file. Everything is derived from the full target path, so two downloads share files only when they share a target.
/// </summary>
public sealed class TargetPaths
{
    /// <summary>Suffix of the file that receives the data until it is complete and verified.</summary>
    public const string PartSuffix = ".rtpart";

    /// <summary>Suffix of the JSON file that records what part of the data is on disk.</summary>
    public const string StateSuffix = ".rtstate";

    /// <summary>Suffix of the file whose OS lock keeps two runs off one target.</summary>
    public const string LockSuffix = ".rtlock";

    /// <summary>Name used when neither the server nor the URL gives a usable one.</summary>
    public const string FallbackFileName = "download";

    private TargetPaths(string target, bool nameFromRemote)
    {
        NameFromRemote = nameFromRemote;
        Target = target;
        Part = target + PartSuffix;
        State = target + StateSuffix;
        Lock = target + LockSuffix;
    }

    /// <summary>
    /// True when the file name came from the server or URL (a folder target), not from the user: an existing file of
    /// that name is then nobody's partial download and must never be continued or replaced without -Force.
    /// </summary>
    public bool NameFromRemote { get; }

    /// <summary>Full path of the finished file.</summary>
    public string Target { get; }

    /// <summary>Full path of the part file.</summary>
    public string Part { get; }

    /// <summary>Full path of the state file.</summary>
    public string State { get; }

    /// <summary>Full path of the lock file.</summary>
    public string Lock { get; }

    /// <summary>The target's file name, for messages and progress.</summary>
    public string FileName => Path.GetFileName(Target);

    /// <summary>The files of a download into the given file path (made absolute).</summary>
    public static TargetPaths ForFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, "The output path is empty. Give a file or folder path.");
        }

        return new TargetPaths(Path.GetFullPath(path), nameFromRemote: false);
    }

    /// <summary>
    /// The files of a download into <paramref name="directory"/>, named after <paramref name="suggestedFileName"/>
    /// (Content-Disposition), else the last segment of <paramref name="uri"/>'s path, else "download"; every candidate
    /// is reduced by <see cref="SafeFileName.From"/>. Throws <see cref="TransferErrorKind.InvalidFileName"/> if the
    /// result would not lie directly inside the directory.
    /// </summary>
    public static TargetPaths InDirectory(string directory, string? suggestedFileName, Uri uri)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, "The output folder is empty. Give a file or folder path.");
        }

        var name = SafeFileName.From(suggestedFileName) ?? SafeFileName.From(LastPathSegment(uri)) ?? FallbackFileName;
        var fullDirectory = TrimSeparators(Path.GetFullPath(directory));
        var target = Path.GetFullPath(Path.Combine(fullDirectory, name));

        // SafeFileName already removed separators and dots; this check holds even if it ever misses a trick.
        var parent = Path.GetDirectoryName(target);
        if (parent is null || !string.Equals(TrimSeparators(parent), fullDirectory, PathComparison))
        {
            throw new TransferException(
                TransferErrorKind.InvalidFileName,
                $"The file name '{name}' derived from the server or URL would be written outside '{fullDirectory}'. Give a full file path as the output instead.");
        }

        if (IsOwnFileName(name))
        {
            throw new TransferException(
                TransferErrorKind.InvalidFileName,
                $"The file name '{name}' derived from the server or URL is the name of a ResumeTransfer part, state or lock file, so the download could " +
                $"overwrite another transfer's files. Give a full file path as the output instead.");
        }

        if (Directory.Exists(target))
        {
            throw new TransferException(
                TransferErrorKind.InvalidFileName,
                $"The file name '{name}' derived from the server or URL is a folder in '{fullDirectory}'. Give a full file path as the output instead.");
        }

        return new TargetPaths(target, nameFromRemote: true);
    }

    /// <summary>
    /// True for a name that ends like a part, state or lock file of a download or an upload, or like one of their
    /// temporary files (<c>x.rtstate.0123456789abcdef.tmp</c>).
    /// </summary>
    private static bool IsOwnFileName(string name)
    {
        var temporary = name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase);
        foreach (var suffix in new[] { PartSuffix, StateSuffix, LockSuffix, Upload.UploadStateStore.Extension })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                || (temporary && name.IndexOf(suffix + ".", StringComparison.OrdinalIgnoreCase) >= 0))
            {
                return true;
            }
        }

        return false;
    }

    private static StringComparison PathComparison =>
        RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || RuntimeInformation.IsOSPlatform(OSPlatform.OSX)
            ? StringComparison.OrdinalIgnoreCase
            : StringComparison.Ordinal;

    private static string? LastPathSegment(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return null;
        }

        // AbsolutePath keeps the escapes: split first so an encoded "%2F" stays inside its segment, then decode it.
        return LastSegment(uri.AbsolutePath) is { } segment ? Uri.UnescapeDataString(segment) : null;
    }

    /// <summary>What follows the last '/' of a remote path (an FTP path, an S3 key), or null when nothing does: the name a source suggests.</summary>
    internal static string? LastSegment(string path)
    {
        var slash = path.LastIndexOf('/');
        var segment = slash >= 0 ? path.Substring(slash + 1) : path;
        return segment.Length == 0 ? null : segment;
    }

    private static string TrimSeparators(string path)
    {
        var root = Path.GetPathRoot(path);
        var trimmed = path.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar);
        return trimmed.Length < (root?.Length ?? 0) ? root! : trimmed;
    }
}
