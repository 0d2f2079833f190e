namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>
/// <see cref="ChunkApiOptions.RequiredAuthorization"/>: the check an authenticating proxy or middleware in front of the
/// receiver makes. A request without that exact Authorization header is answered 401 with WWW-Authenticate before any
/// of it is read, so it stores and changes nothing.
/// </summary>
internal static class ChunkApiAuthorization
{
    public static RequestDelegate Guard(ChunkApiOptions options, RequestDelegate handler) =>
        options.RequiredAuthorization is null ? handler : context => Allows(options, context) ? handler(context) : RefuseAsync(context);

    private static bool Allows(ChunkApiOptions options, HttpContext context) =>
        context.Request.Headers.Authorization is { Count: 1 } given && string.Equals(given[0], options.RequiredAuthorization, StringComparison.Ordinal);

    private static Task RefuseAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"chunk api\"";
        return Task.CompletedTask;
    }
}
