using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// A real HTTP server on 127.0.0.1 (Kestrel, ephemeral port) that answers S3 calls the way a test scripts it, for
/// answers neither Swift's s3api nor s3rver give: a part list that never ends, a lookup that fails on the network, a
/// body without end. It logs every request it saw.
/// </summary>
public sealed class S3FaultServer : IAsyncDisposable
{
    public const string Bucket = "faults";

    private readonly WebApplication app;
    private readonly ConcurrentQueue<string> log = new();

    private S3FaultServer(WebApplication app, Uri endpoint)
    {
        this.app = app;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>"METHOD /path?query" of every request, in arrival order.</summary>
    public IReadOnlyList<string> Log => log.ToArray();

    /// <summary>Starts a server that hands every request to <paramref name="handler"/>.</summary>
    public static async Task<S3FaultServer> StartAsync(Func<HttpContext, Task> handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MinResponseDataRate = null;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        S3FaultServer? server = null;
        app.Run(async context =>
        {
            server!.log.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            try
            {
                await handler(context);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
                // The client went away.
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server = new S3FaultServer(app, new Uri(address.TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>The request of an upload to <c>s3://faults/&lt;key&gt;</c> at this server.</summary>
    public UploadRequest Request(string path, string key, int maxRetries = 0) => new()
    {
        Path = path,
        Uri = new Uri($"s3://{Bucket}/{key}"),
        Protocol = UploadProtocolKind.S3,
        Endpoint = Endpoint,
        Credential = new NetworkCredential("test", "test"),
        MaxRetries = maxRetries,
        RetryInterval = TimeSpan.FromMilliseconds(1),
    };

    /// <summary>The protocol for <paramref name="request"/>, with its own SDK client (the protocol disposes it).</summary>
    public static S3MultipartProtocol Protocol(UploadRequest request, ITransferObserver observer, int listPartsPageSize = 1000) =>
        new(request, observer) { ListPartsPageSize = listPartsPageSize };

    /// <summary>Answers with an S3 error document.</summary>
    public static Task ErrorAsync(HttpContext context, int status, string code)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{code}</Message></Error>");
    }

    /// <summary>Answers with an XML document.</summary>
    public static Task XmlAsync(HttpContext context, string xml)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/xml";
        return context.Response.WriteAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + xml);
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await app.DisposeAsync();
    }
}
