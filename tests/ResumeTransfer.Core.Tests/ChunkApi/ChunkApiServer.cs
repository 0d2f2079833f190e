using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ResumeTransfer.TestServer.ChunkApi;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// The chunk API reference receiver on a real Kestrel socket (http://127.0.0.1:port/chunks), with its own storage
/// directory (deleted on dispose unless it was handed in) and request log. Mounted the way a user's server would
/// mount it: routing, MapChunkApi, and a terminal handler for everything else.
/// </summary>
public sealed class ChunkApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _ownsStorage;
    private int _stopped;

    private ChunkApiServer(WebApplication app, Uri url, string storage, bool ownsStorage, ChunkApiLog log)
    {
        _app = app;
        Url = url;
        StorageDirectory = storage;
        _ownsStorage = ownsStorage;
        Log = log;
    }

    /// <summary>The chunk API URL (<c>&lt;url&gt;</c> in docs/chunk-api.md).</summary>
    public Uri Url { get; }

    public string StorageDirectory { get; }

    public ChunkApiLog Log { get; }

    /// <summary>Starts a receiver; with <paramref name="storageDirectory"/> it serves (and keeps) that directory, as a restarted server would.</summary>
    /// <param name="storageDirectory">Existing storage to serve; null = a new temporary one.</param>
    /// <param name="time">The receiver's clock (expiry).</param>
    /// <param name="maxChunkSize">The receiver's chunk size limit.</param>
    /// <param name="maxChunks">The receiver's chunk count limit.</param>
    /// <param name="port">The port; 0 = ephemeral.</param>
    /// <param name="faults">Request faults for client tests.</param>
    /// <param name="asMiddleware">Mount with UseChunkApi (no endpoint routing) instead of MapChunkApi.</param>
    public static async Task<ChunkApiServer> StartAsync(
        string? storageDirectory = null,
        TimeProvider? time = null,
        long? maxChunkSize = null,
        int? maxChunks = null,
        int port = 0,
        ChunkApiFaults? faults = null,
        bool asMiddleware = false) =>
        await StartCoreAsync(storageDirectory, storageDirectory is null, time, maxChunkSize, maxChunks, port, faults, asMiddleware);

    /// <summary>Stops this server and starts another on the same storage and port (a server restart); the new one takes over the storage.</summary>
    public async Task<ChunkApiServer> RestartAsync(TimeProvider? time = null)
    {
        await StopAsync();
        return await StartCoreAsync(StorageDirectory, _ownsStorage, time, null, null, Url.Port, null, false);
    }

    private static async Task<ChunkApiServer> StartCoreAsync(
        string? storageDirectory,
        bool ownsStorage,
        TimeProvider? time,
        long? maxChunkSize,
        int? maxChunks,
        int port,
        ChunkApiFaults? faults,
        bool asMiddleware)
    {
        var storage = storageDirectory ?? Path.Combine(Path.GetTempPath(), $"rt-chunkapi-{Guid.NewGuid():N}");
        var log = new ChunkApiLog();
        var defaults = new ChunkApiOptions();
        var options = new ChunkApiOptions
        {
            Log = log,
            TimeProvider = time ?? TimeProvider.System,
            MaxChunkSize = maxChunkSize ?? defaults.MaxChunkSize,
            MaxChunks = maxChunks ?? defaults.MaxChunks,
        };

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        if (!asMiddleware)
        {
            builder.Services.AddRouting();
        }

        var app = builder.Build();
        if (faults is not null)
        {
            faults.StorageDirectory = storage;
            app.Use(faults.ApplyAsync);
        }

        if (asMiddleware)
        {
            app.UseChunkApi("/chunks", storage, options);
        }
        else
        {
            app.UseRouting();
            app.MapChunkApi("/chunks", storage, options);
            app.UseEndpoints(_ => { });
        }

        app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new ChunkApiServer(app, new Uri(address.TrimEnd('/') + "/chunks"), storage, ownsStorage, log);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (_ownsStorage)
        {
            for (var attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    if (Directory.Exists(StorageDirectory))
                    {
                        Directory.Delete(StorageDirectory, recursive: true);
                    }

                    break;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await Task.Delay(50 * (attempt + 1));
                }
            }
        }
    }

    private async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await _app.DisposeAsync();
    }
}
