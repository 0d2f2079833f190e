namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>A unique, empty directory under the system temp directory, deleted with everything in it on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "rt")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>The full path of <paramref name="relativePath"/> inside this directory (not created).</summary>
    public string File(string relativePath) => System.IO.Path.Combine(Path, relativePath);

    public override string ToString() => Path;

    public void Dispose()
    {
        // A file may still be held open for a moment by a transfer that is winding down: retry briefly, never fail a test.
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(Path))
                {
                    Directory.Delete(Path, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(50 * (attempt + 1));
            }
        }
    }
}
