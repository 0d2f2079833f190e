namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>
/// What one chunk request carried, as far as it was read: the text parts and the <c>file</c> part spooled to a
/// temporary file with its length and MD5. Disposing deletes the temporary file unless the store moved it.
/// </summary>
internal sealed class ChunkForm : IDisposable
{
    public Dictionary<string, string> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Where the <c>file</c> part is (being) written; null until the part starts.</summary>
    public string? TempPath { get; set; }

    /// <summary>Bytes of the <c>file</c> part read so far.</summary>
    public long Length { get; set; }

    /// <summary>Lowercase hex MD5 of the whole <c>file</c> part, once it was read to its end.</summary>
    public string? ActualMd5 { get; set; }

    public string? Field(string name) => Fields.GetValueOrDefault(name);

    public void Dispose()
    {
        if (TempPath is null)
        {
            return;
        }

        try
        {
            File.Delete(TempPath);
        }
        catch (IOException)
        {
            // A leftover temp file is swept with the incoming directory.
        }
    }
}
