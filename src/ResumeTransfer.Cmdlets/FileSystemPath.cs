using System;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>A path parameter as a full file-system path.</summary>
internal static class FileSystemPath
{
    /// <summary>
    /// Resolves a path parameter literally (no wildcards) against the PowerShell location (not the process working
    /// directory, which PowerShell never changes), accepting provider-qualified paths (PSPath). The item need not exist.
    /// A path PowerShell cannot resolve, or one outside the file system, is an InvalidArgument error that names the
    /// parameter and ends with <paramref name="whatToGive"/>.
    /// </summary>
    public static string Resolve(string path, PathIntrinsics paths, string parameterName, string whatToGive)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = paths.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception ex) when (ex is ItemNotFoundException or ProviderNotFoundException or DriveNotFoundException or NotSupportedException or ArgumentException)
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"-{parameterName} '{path}' is not a usable path: {ex.Message}", ex);
        }

        if (!string.Equals(provider.Name, "FileSystem", StringComparison.OrdinalIgnoreCase))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"-{parameterName} '{path}' is in the {provider.Name} provider, not the file system. {whatToGive}");
        }

        return resolved;
    }
}
