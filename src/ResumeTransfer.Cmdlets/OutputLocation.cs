using System;
using System.IO;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>Where -OutFile points: a file, or a directory whose file name the engine takes from the server or URL.</summary>
internal sealed record OutputLocation(string Path, bool IsDirectory)
{
    /// <summary>
    /// Resolves -OutFile against the PowerShell location (not the process working directory, which PowerShell
    /// never changes). No -OutFile means the current directory. A path is a directory when it exists as one or
    /// ends in a separator; a file path must be in an existing directory.
    /// </summary>
    public static OutputLocation Resolve(string? outFile, PathIntrinsics paths)
    {
        if (string.IsNullOrWhiteSpace(outFile))
        {
            return new OutputLocation(paths.CurrentFileSystemLocation.ProviderPath, IsDirectory: true);
        }

        var resolved = FileSystemPath.Resolve(outFile!, paths, "OutFile", "Give a file or directory path.");
        if (EndsWithSeparator(outFile!) || Directory.Exists(resolved))
        {
            return new OutputLocation(resolved, IsDirectory: true);
        }

        var parent = System.IO.Path.GetDirectoryName(resolved);
        if (!string.IsNullOrEmpty(parent) && !Directory.Exists(parent))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"The directory '{parent}' for -OutFile does not exist. Create it first, or end -OutFile with a separator to have it created and the file name taken from the server.");
        }

        return new OutputLocation(resolved, IsDirectory: false);
    }

    /// <summary>The name the progress bar shows until the engine knows the real one.</summary>
    public string DisplayName(Uri uri)
    {
        if (!IsDirectory)
        {
            return System.IO.Path.GetFileName(Path);
        }

        var segment = uri.Segments.Length > 0 ? Uri.UnescapeDataString(uri.Segments[uri.Segments.Length - 1]).Trim('/') : string.Empty;
        return segment.Length > 0 ? segment : uri.Host;
    }

    /// <summary>Creates a directory the user named with a trailing separator. Call only after ShouldProcess.</summary>
    public void EnsureDirectoryExists()
    {
        if (IsDirectory && !Directory.Exists(Path))
        {
            Directory.CreateDirectory(Path);
        }
    }

    // PowerShell takes both separators on every platform.
    private static bool EndsWithSeparator(string path) => path.EndsWith("/", StringComparison.Ordinal) || path.EndsWith("\\", StringComparison.Ordinal);
}
