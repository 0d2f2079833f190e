using System;
using System.IO;
using System.Management.Automation;
using ResumeTransfer.Core;
using ResumeTransfer.Core.Upload;

namespace ResumeTransfer.Cmdlets;

/// <summary>The file -Path names, as a full file-system path.</summary>
internal static class UploadSourcePath
{
    /// <summary>
    /// Resolves -Path literally (no wildcards: piped FileInfo objects and names with [brackets] must work) against the
    /// PowerShell location, accepting provider-qualified paths (PSPath). The result must be an existing file.
    /// </summary>
    public static string Resolve(string path, PathIntrinsics paths)
    {
        var resolved = FileSystemPath.Resolve(path, paths, "Path", "Give the path of a file.");
        if (Directory.Exists(resolved))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{resolved}' is a directory. Give the path of a file; to upload the files in it, pipe them: Get-ChildItem -File '{resolved}' | Send-ChunkedFile ...");
        }

        if (!File.Exists(resolved))
        {
            throw new TransferException(TransferErrorKind.NotFound, $"The file to upload, '{resolved}', does not exist. Check the path.");
        }

        return resolved;
    }

    /// <summary>
    /// True for the files an unfinished upload keeps beside its source (<c>x.rtupload</c>, its <c>.lock</c> and
    /// <c>.tmp</c>): they appear in a folder's listing while its files upload, and are never meant to be uploaded.
    /// </summary>
    public static bool IsUploadStateFile(string path) =>
        path.EndsWith(UploadStateStore.Extension, StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(UploadStateStore.Extension + ".lock", StringComparison.OrdinalIgnoreCase)
        || path.EndsWith(UploadStateStore.Extension + ".tmp", StringComparison.OrdinalIgnoreCase);
}
