using System;
using System.IO;
using System.Text;

namespace ResumeTransfer.Core.State;

/// <summary>
/// Replaces a small file so that a crash at any moment leaves either the old or the new content, never a mix:
/// write a temp file beside it, flush it to disk, then rename it over the target.
/// </summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = Encoding.UTF8.GetBytes(content);
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }

        Replace(temp, path);
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
