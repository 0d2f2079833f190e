using System;
using System.Net;
using System.Net.Http;
using System.Threading;

namespace ResumeTransfer.Core.Transfer;

/// <summary>Creates the one <see cref="HttpClient"/> an invocation shares across its downloads.</summary>
public static class TransferHttpClientFactory
{
    /// <summary>
    /// A client that does nothing behind the byte source's back: no automatic redirects (they would carry custom
    /// Authorization and Cookie headers to other hosts), no cookie container, no decompression (offsets must be
    /// offsets of the bytes on the wire), and no overall timeout (a long download is fine; a silent one is caught
    /// per read). The system proxy is used as Invoke-WebRequest uses it.
    /// </summary>
    /// <param name="maxConnectionsPerServer">Connections allowed to one server: the download's connection count (plus headroom if the caller wants it).</param>
    public static HttpClient Create(int maxConnectionsPerServer)
    {
        if (maxConnectionsPerServer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxConnectionsPerServer), maxConnectionsPerServer, "At least one connection is needed.");
        }

#if NET
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = maxConnectionsPerServer,
            ConnectTimeout = TimeSpan.FromSeconds(30),

            // Idle connections are reused between segments and retries, but not kept long enough for a server or
            // NAT to drop them silently; a lifetime cap picks up DNS changes on very long downloads.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            UseProxy = true,
        };
#else
        var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxConnectionsPerServer = maxConnectionsPerServer,
            UseProxy = true,
        };
#endif
        return new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }
}
