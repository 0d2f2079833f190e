namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>
/// Mounts the reference receiver of the chunk API (docs/chunk-api.md) on a route prefix:
/// <c>POST prefix</c> (a chunk), <c>GET prefix/status</c>, <c>POST prefix/merge</c>, <c>DELETE prefix</c>.
/// Uploads are stored under <c>storageDirectory/&lt;upload_id&gt;/</c>; the merged file lands in
/// <c>storageDirectory/&lt;upload_id&gt;/merged/&lt;filename&gt;</c>.
/// </summary>
public static class ChunkApiEndpoints
{
    /// <summary>Mounts the receiver with default <see cref="ChunkApiOptions"/>.</summary>
    public static IEndpointRouteBuilder MapChunkApi(this IEndpointRouteBuilder app, string prefix, string storageDirectory) =>
        MapChunkApi(app, prefix, storageDirectory, new ChunkApiOptions());

    /// <summary>Mounts the receiver with the given limits, clock and request log.</summary>
    public static IEndpointRouteBuilder MapChunkApi(this IEndpointRouteBuilder app, string prefix, string storageDirectory, ChunkApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(storageDirectory);
        ArgumentNullException.ThrowIfNull(options);

        var receiver = new ChunkApiReceiver(new ChunkStore(storageDirectory, options), options);
        var group = app.MapGroup("/" + prefix.Trim('/'));
        group.MapPost(string.Empty, receiver.PostChunkAsync);
        group.MapDelete(string.Empty, receiver.DeleteAsync);
        group.MapGet("/status", receiver.GetStatusAsync);
        group.MapPost("/merge", receiver.MergeAsync);
        return app;
    }
}
