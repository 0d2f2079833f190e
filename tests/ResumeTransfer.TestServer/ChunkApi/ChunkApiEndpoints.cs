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
        group.MapPost(string.Empty, ChunkApiAuthorization.Guard(options, receiver.PostChunkAsync));
        group.MapDelete(string.Empty, ChunkApiAuthorization.Guard(options, receiver.DeleteAsync));
        group.MapGet("/status", ChunkApiAuthorization.Guard(options, receiver.GetStatusAsync));
        group.MapPost("/merge", ChunkApiAuthorization.Guard(options, receiver.MergeAsync));
        return app;
    }

    /// <summary>
    /// Mounts the receiver as middleware, for pipelines without endpoint routing (one line before a terminal
    /// <c>app.Run</c>). Requests under <paramref name="prefix"/> that are not chunk API calls get 404 or 405.
    /// </summary>
    public static IApplicationBuilder UseChunkApi(this IApplicationBuilder app, string prefix, string storageDirectory, ChunkApiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentException.ThrowIfNullOrEmpty(storageDirectory);
        options ??= new ChunkApiOptions();

        var receiver = new ChunkApiReceiver(new ChunkStore(storageDirectory, options), options);
        return app.Map("/" + prefix.Trim('/'), branch => branch.Run(context =>
        {
            var path = context.Request.Path.Value?.TrimEnd('/') ?? string.Empty;
            var method = context.Request.Method;
            (string Method, RequestDelegate Handler)? call = path switch
            {
                "" when HttpMethods.IsDelete(method) => (method, receiver.DeleteAsync),
                "" => (HttpMethods.Post, receiver.PostChunkAsync),
                "/status" => (HttpMethods.Get, receiver.GetStatusAsync),
                "/merge" => (HttpMethods.Post, receiver.MergeAsync),
                _ => null,
            };

            if (call is not { } found)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            if (!string.Equals(found.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                context.Response.Headers.Allow = path.Length == 0 ? "POST, DELETE" : found.Method;
                return Task.CompletedTask;
            }

            return ChunkApiAuthorization.Guard(options, found.Handler)(context);
        }));
    }
}
