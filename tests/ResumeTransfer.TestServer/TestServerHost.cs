using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using ResumeTransfer.TestServer.ChunkApi;

namespace ResumeTransfer.TestServer;

/// <summary>
/// The fault-injecting HTTP test server on a real Kestrel socket: <c>http://127.0.0.1:&lt;port&gt;</c> (<see cref="BaseUri"/>)
/// and <c>http://127.0.0.2:&lt;port&gt;</c> (<see cref="OtherOriginUri"/>, a second origin for cross-origin redirects), and
/// <c>https://127.0.0.3:&lt;port&gt;</c> (<see cref="SecureUri"/>, the same endpoints over TLS with the self-signed
/// <see cref="Certificate"/>, for https-to-http redirect tests).
/// </summary>
/// <remarks>
/// <para><b>Content.</b> <c>GET|HEAD /files/{name}?size=N[&amp;seed=S][&amp;version=V]</c> serves N deterministic bytes
/// (<see cref="DeterministicContent"/>; default seed 1, version 1) with <c>ETag: "s{S}-v{V}-n{N}"</c>, a fixed
/// Last-Modified per version (2020-01-01 + V days), <c>Accept-Ranges: bytes</c>; a single <c>Range: bytes=A-B | A- | -S</c>
/// gives 206 with <c>Content-Range: bytes A-B/N</c>, or 416 with <c>Content-Range: bytes */N</c> when A &gt;= N; several
/// ranges or bad syntax are ignored (200). <c>If-Range</c> (strong ETag, or a date equal to Last-Modified) that does not
/// match gives 200 with the whole body; <c>If-Match</c> that does not match gives 412.
/// <c>/auth/files/{name}?...&amp;user=U&amp;pass=P</c> is the same but requires <c>Authorization: Basic U:P</c>
/// (defaults user/pass), else 401 with <c>WWW-Authenticate: Basic</c>.</para>
/// <para><b>Query parameters</b> (all optional, combinable):
/// <c>tag=T</c> label in the request log (use a unique tag per test);
/// <c>fault=NAME[,NAME2]&amp;times=K</c> apply the fault(s) only to the first K file requests with this tag (every one when
/// times is omitted). Faults: <c>drop&amp;at=N</c> reset the connection (RST) after N body bytes; <c>short&amp;at=N</c> close it
/// cleanly (FIN) after N body bytes, short of the promised Content-Length. Both wait until the client has acknowledged the
/// N bytes before cutting, so a client receives exactly N (with at &gt;= the body length, the client gets every byte and
/// then the cut);
/// <c>stall&amp;at=N</c> send N body bytes then hang until the client disconnects (at most 120 s, then abort);
/// <c>wrongrange</c> 206 whose Content-Range starts 1 byte after the asked start (body matches the wrong header);
/// <c>ignorerange</c> 200 with the whole body, no Accept-Ranges; <c>status&amp;code=503&amp;retryafter=SEC</c> that status
/// (default 503), Retry-After as given, empty body; <c>gzip</c> <c>Content-Encoding: gzip</c> and a gzip body, also on 206
/// (bodies up to 64 MiB); <c>chunked</c> no Content-Length (chunked transfer coding) — <c>fault=chunked,drop&amp;at=N</c> with
/// N &gt;= body length loses just the final chunk. <c>at</c> counts bytes as sent (compressed bytes with gzip);
/// <c>storedgzip</c> the resource is the gzip of the content, stored so (<see cref="StoredGzip"/>): length, ranges and
/// ETag (<c>"s{S}-v{V}-n{N}-gz"</c>) are those of the compressed bytes, every answer carries <c>Content-Encoding: gzip</c>
/// and a Content-Length equal to the range (content up to 64 MiB; not limited by times); <c>range416unlesszero</c> 416 (<c>bytes */N</c>) to
/// every range that does not start at byte 0, 206 to those that do; <c>overlapstart&amp;at=N</c> a 206 that starts N bytes
/// before the asked start (not before byte 0), Content-Range and body consistent.
/// <c>contentrange=&lt;url-encoded value&gt;</c> sends that Content-Range verbatim on every 206 (the body stays the true range).
/// <c>changeafter=K</c> file requests after the K-th with this tag serve version+1 (new bytes and ETag).
/// <c>noetag=1</c>, <c>weaketag=1</c> (<c>W/"..."</c>, never matches If-Range/If-Match), <c>nolastmodified=1</c>,
/// <c>noranges=1</c> (never honours Range, no Accept-Ranges).
/// <c>rate=BYTESPERSEC</c> throttles the body; <c>latency=MS</c> delays before the headers;
/// <c>disposition=&lt;url-encoded Content-Disposition value&gt;</c>.</para>
/// <para>The per-tag count behind <c>times</c> and <c>changeafter</c> includes every /files request with the tag, HEAD and
/// probes too, but not /redirect hops or 401 challenges; <see cref="LoggedRequest.TagSequence"/> shows each request's number.
/// Requests without a tag share one count.</para>
/// <para><b>Chunk API.</b> The reference receiver of docs/chunk-api.md is mounted at <c>/chunks</c> (<see cref="ChunkApiUri"/>),
/// and at <c>/auth/chunks</c> behind HTTP Basic <c>alice:s3cret</c> (401 otherwise), on the same storage.</para>
/// <para><b>tus.</b> A minimal in-memory tus 1.0.0 server with faults is mounted at <c>/tus</c> (<see cref="TusEndpoint"/>).</para>
/// <para><b>Other endpoints.</b> <c>/redirect?to=&lt;url-encoded absolute or relative URL&gt;&amp;code=302[&amp;tag=T]</c>
/// (301/302/303/307/308; chain by nesting <c>to</c>). <c>/_log[?tag=T]</c> JSON array of <see cref="LoggedRequest"/>
/// (camelCase). <c>/_chunklog[?upload_id=ID]</c> JSON array of the chunk API receiver's <see cref="ChunkApiLogEntry"/> records
/// (camelCase, <c>operation</c> as text). <c>/_sha256?size=N&amp;seed=S&amp;version=V</c> hex SHA-256 as text/plain. Control
/// endpoints are not logged.</para>
/// </remarks>
public sealed class TestServerHost : IAsyncDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);
    private readonly WebApplication _app;
    private int _disposed;

    private readonly TusEndpoint _tus;

    private TestServerHost(WebApplication app, RequestLog log, Uri baseUri, Uri otherOriginUri, Uri secureUri, X509Certificate2 certificate, string chunkStorage, ChunkApiLog chunkLog, TusEndpoint tus)
    {
        _tus = tus;
        SecureUri = secureUri;
        Certificate = certificate;
        _app = app;
        Log = log;
        BaseUri = baseUri;
        OtherOriginUri = otherOriginUri;
        ChunkStorageDirectory = chunkStorage;
        ChunkLog = chunkLog;
    }

    /// <summary>The chunk API reference receiver (docs/chunk-api.md), mounted at <c>/chunks</c>.</summary>
    public Uri ChunkApiUri => Url("chunks");

    /// <summary>
    /// The receiver's storage (deleted on dispose): <c>&lt;upload_id&gt;/chunks/&lt;index&gt;.&lt;md5&gt;</c> while an upload
    /// is open, <c>&lt;upload_id&gt;/merged/&lt;filename&gt;</c> once merged.
    /// </summary>
    public string ChunkStorageDirectory { get; }

    /// <summary>What the chunk API receiver was asked and answered.</summary>
    public ChunkApiLog ChunkLog { get; }

    /// <summary><c>http://127.0.0.1:port/</c></summary>
    public Uri BaseUri { get; }

    /// <summary><c>http://127.0.0.2:port/</c>: a different origin on the same server.</summary>
    public Uri OtherOriginUri { get; }

    /// <summary><c>https://127.0.0.3:port/</c>: the same server over TLS, with <see cref="Certificate"/>.</summary>
    public Uri SecureUri { get; }

    /// <summary>The https listener's self-signed certificate (public part is what a test trusts).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The address of the https listener; it names the certificate.</summary>
    internal static IPAddress SecureAddress { get; } = IPAddress.Parse("127.0.0.3");

    public RequestLog Log { get; }

    /// <summary>Starts a server on ephemeral ports (or the given ones) and returns once both listeners accept connections.</summary>
    public static Task<TestServerHost> StartAsync(int basePort = 0, int otherPort = 0, CancellationToken cancellationToken = default) =>
        StartAsync(basePort, otherPort, consoleErrors: false, cancellationToken);

    internal static async Task<TestServerHost> StartAsync(int basePort, int otherPort, bool consoleErrors, CancellationToken cancellationToken)
    {
        X509Certificate2 certificate = TestCertificate.Create();
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // Stall, rate and drop tests send slowly or not at all on purpose: Kestrel must not cut them off itself.
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Limits.MinRequestBodyDataRate = null;
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, basePort);
            kestrel.Listen(IPAddress.Parse("127.0.0.2"), otherPort);
            kestrel.Listen(SecureAddress, 0, listen => listen.UseHttps(certificate));
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        // In a test process the host must not take over SIGTERM/SIGINT; the standalone Program handles signals itself.
        builder.Services.AddSingleton<IHostLifetime, PassiveHostLifetime>();
        if (consoleErrors)
        {
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }

        WebApplication app = builder.Build();
        var log = new RequestLog();
        string chunkStorage = Path.Combine(Path.GetTempPath(), "rt-chunkapi-" + Guid.NewGuid().ToString("n")[..8]);
        var chunkLog = new ChunkApiLog();
        var dispatcher = new RequestDispatcher(log, app.Lifetime.ApplicationStopping, chunkLog);
        app.UseChunkApi("/chunks", chunkStorage, new ChunkApiOptions { Log = chunkLog });
        app.UseChunkApi("/auth/chunks", chunkStorage, new ChunkApiOptions { Log = chunkLog, RequiredAuthorization = ChunkApiOptions.Basic("alice", "s3cret") });
        app.Run(dispatcher.HandleAsync);
        await app.StartAsync(cancellationToken);

        Uri? baseUri = null;
        Uri? otherUri = null;
        Uri? secureUri = null;
        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (string address in addresses)
        {
            var uri = new Uri(address.EndsWith('/') ? address : address + "/");
            if (uri.Host == "127.0.0.2")
            {
                otherUri = uri;
            }
            else if (uri.Host == SecureAddress.ToString())
            {
                secureUri = uri;
            }
            else
            {
                baseUri = uri;
            }
        }

        if (baseUri is null || otherUri is null || secureUri is null)
        {
            await app.DisposeAsync();
            throw new InvalidOperationException("Kestrel did not report all three listener addresses: " + string.Join(", ", addresses));
        }

        return new TestServerHost(app, log, baseUri, otherUri, secureUri, certificate, chunkStorage, chunkLog, dispatcher.Tus);
    }

    /// <summary>An absolute URL on <see cref="BaseUri"/> for a path-and-query such as <c>"files/a.bin?size=10&amp;tag=t"</c>.</summary>
    public Uri Url(string pathAndQuery) => new(BaseUri, pathAndQuery.TrimStart('/'));

    /// <summary>An absolute URL on <see cref="OtherOriginUri"/>.</summary>
    public Uri OtherUrl(string pathAndQuery) => new(OtherOriginUri, pathAndQuery.TrimStart('/'));

    /// <summary>An absolute URL on <see cref="SecureUri"/>.</summary>
    public Uri SecureUrl(string pathAndQuery) => new(SecureUri, pathAndQuery.TrimStart('/'));

    /// <summary>The bytes the <c>/tus</c> upload at <paramref name="uploadUrl"/> holds (null when there is none).</summary>
    public byte[]? TusStored(Uri uploadUrl) => _tus.Stored(uploadUrl);

    /// <summary>Hex SHA-256 of the content /files serves for (size, seed, version).</summary>
    public string Sha256(long size, int seed = 1, int version = 1) => DeterministicContent.Sha256(size, seed, version);

    /// <summary>The bytes /files serves for (size, seed, version); up to <see cref="DeterministicContent.MaxMaterialisedSize"/>.</summary>
    public byte[] Content(long size, int seed = 1, int version = 1) => DeterministicContent.Create(size, seed, version);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var timeout = new CancellationTokenSource(ShutdownTimeout))
        {
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Open connections were cut off by the timeout; nothing else to wait for.
            }
        }

        await _app.DisposeAsync();
        Certificate.Dispose();
        try
        {
            Directory.Delete(ChunkStorageDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private sealed class PassiveHostLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
