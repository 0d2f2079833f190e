namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>Which convention a chunk-upload server follows (docs/chunk-api.md, "Existing servers").</summary>
public enum ChunkApiProfile
{
    /// <summary>The project's chunk API (docs/chunk-api.md): upload id, status call, checked merge. The default, and the only one detected by itself.</summary>
    Standard,

    /// <summary>
    /// The product brief's form: one multipart POST per chunk with <c>file</c>, <c>chunk</c> (0-based), <c>md5</c>,
    /// <c>total_chunks</c>, <c>filename</c>; any 2xx acknowledges it; then <c>POST URL/merge?filename=NAME</c>. No status
    /// call: a resume works from the client's own record of acknowledged chunks.
    /// </summary>
    Seed,

    /// <summary>
    /// flow.js: fields <c>flowChunkNumber</c> (1-based), <c>flowTotalChunks</c>, <c>flowChunkSize</c>,
    /// <c>flowCurrentChunkSize</c>, <c>flowTotalSize</c>, <c>flowIdentifier</c>, <c>flowFilename</c>,
    /// <c>flowRelativePath</c>; <c>GET URL?fields</c> answers 200 when the chunk is held; no merge call. The last chunk
    /// takes the remainder (floor(size / chunk size) chunks).
    /// </summary>
    Flow,

    /// <summary>resumable.js: as <see cref="Flow"/> with the <c>resumable</c> prefix.</summary>
    Resumable,
}
