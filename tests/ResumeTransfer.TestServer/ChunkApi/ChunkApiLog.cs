namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>What a chunk API request was for.</summary>
public enum ChunkApiOperation
{
    Chunk,
    Status,
    Merge,
    Delete,
}

/// <summary>One chunk API request once it was answered (or aborted).</summary>
/// <param name="Time">When the answer was decided.</param>
/// <param name="Operation">Which call.</param>
/// <param name="UploadId">The upload_id as sent (may be invalid or null).</param>
/// <param name="Chunk">The chunk index for <see cref="ChunkApiOperation.Chunk"/>, when it parsed.</param>
/// <param name="StatusCode">The answer's status; 0 when the client went away before an answer.</param>
/// <param name="Error">The error code of the answer, "aborted" for a vanished client, null on success.</param>
/// <param name="Bytes">Chunk bytes read from the request body.</param>
public sealed record ChunkApiLogEntry(
    DateTimeOffset Time,
    ChunkApiOperation Operation,
    string? UploadId,
    long? Chunk,
    int StatusCode,
    string? Error,
    long Bytes);

/// <summary>Thread-safe, append-only record of the chunk API requests a receiver answered.</summary>
public sealed class ChunkApiLog
{
    private readonly List<ChunkApiLogEntry> _entries = [];
    private readonly Lock _gate = new();

    /// <summary>A snapshot of every entry so far, in the order answers were decided.</summary>
    public IReadOnlyList<ChunkApiLogEntry> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>A snapshot of the entries for one upload.</summary>
    public IReadOnlyList<ChunkApiLogEntry> ForUpload(string uploadId)
    {
        lock (_gate)
        {
            return _entries.Where(e => string.Equals(e.UploadId, uploadId, StringComparison.Ordinal)).ToList();
        }
    }

    internal void Add(ChunkApiLogEntry entry)
    {
        lock (_gate)
        {
            _entries.Add(entry);
        }
    }
}
