using System.Diagnostics;

namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>
/// A real, small file system of its own: a tmpfs mounted on a unique empty directory (the tests run as root on Linux),
/// unmounted and removed on dispose. A disk that really fills up is the only honest test of "disk full". When it cannot
/// be mounted the test fails with the reason; it is never skipped.
/// </summary>
public sealed class SmallTmpfs : IDisposable
{
    public SmallTmpfs(long sizeBytes, string prefix = "rt-full")
    {
        Path = System.IO.Path.Combine("/tmp", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
        var (code, output) = Run("mount", "-t", "tmpfs", "-o", $"size={sizeBytes}", "tmpfs", Path);
        if (code != 0)
        {
            Directory.Delete(Path);
            throw new InvalidOperationException(
                $"Could not mount a {sizeBytes}-byte tmpfs at '{Path}' (mount exited with {code}: {output.Trim()}). The disk-full tests need a real small file system: run them as root on Linux.");
        }
    }

    public string Path { get; }

    /// <summary>Bytes free on this file system.</summary>
    public long Free => new DriveInfo(Path).AvailableFreeSpace;

    /// <summary>The full path of <paramref name="name"/> on this file system (not created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Everything on the file system, as names.</summary>
    public string[] Entries() => Directory.GetFileSystemEntries(Path).Select(System.IO.Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Writes a file of zeros that leaves <paramref name="leave"/> bytes free (to the page), or less when something else
    /// writes at the same time (it stops when the disk is full); returns its path.
    /// </summary>
    public string Fill(long leave, string name = "filler.bin")
    {
        var path = File(name);
        var size = Free - leave;
        var zeros = new byte[64 * 1024];
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1);
        try
        {
            for (long written = 0; written < size; written += zeros.Length)
            {
                stream.Write(zeros, 0, (int)Math.Min(zeros.Length, size - written));
            }
        }
        catch (IOException) when (Free == 0)
        {
            // Another writer took the rest first: the disk is as full as asked.
        }

        return path;
    }

    public void Dispose()
    {
        // A transfer that is winding down may hold a file open for a moment: retry, then detach lazily.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (Run("umount", Path).Code == 0)
            {
                Directory.Delete(Path);
                return;
            }

            Thread.Sleep(100 * (attempt + 1));
        }

        Run("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static (int Code, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output.Result + error);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (-1, ex.Message);
        }
    }
}
