namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>Settings of one mounted chunk API receiver (docs/chunk-api.md). The defaults suit a real server.</summary>
public sealed class ChunkApiOptions
{
    /// <summary>The largest <c>chunk_size</c> accepted; above it a chunk is answered 413 <c>chunk_too_large</c>.</summary>
    public long MaxChunkSize { get; init; } = 256L * 1024 * 1024;

    /// <summary>The most chunks one upload may have (400 <c>invalid_request</c> on <c>total_chunks</c> above it).</summary>
    public int MaxChunks { get; init; } = 100_000;

    /// <summary>An upload untouched for this long is forgotten (status and merge then answer 404).</summary>
    public TimeSpan Expiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>The clock for expiry; tests pass a fake one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// When set, every request must carry exactly this Authorization header value (e.g. <see cref="Basic"/>); any other
    /// is answered 401 with WWW-Authenticate before anything is read or stored. Null (the default): no check.
    /// </summary>
    public string? RequiredAuthorization { get; init; }

    /// <summary>The Authorization header value of HTTP Basic authentication with these credentials.</summary>
    public static string Basic(string user, string password) =>
        "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(user + ":" + password));

    /// <summary>When set, every chunk API request is recorded here (tests count re-sent chunks with it).</summary>
    public ChunkApiLog? Log { get; init; }
}
