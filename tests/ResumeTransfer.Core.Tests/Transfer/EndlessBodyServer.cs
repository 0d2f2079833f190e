using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>
/// A plain TCP server on 127.0.0.1 that answers every HTTP request with a status, a content type and a chunked body
/// (no Content-Length) of 400 MiB, for as long as the client reads. It counts the body bytes the kernel took:
/// once the client stops reading and closes, sending fails, so the count bounds what the client can have read.
/// (Kestrel is not used here: after a client goes away it completes writes without sending them, so its count runs on.)
/// </summary>
public sealed class EndlessBodyServer : IAsyncDisposable
{
    /// <summary>The body's size: far more than any answer a client should read.</summary>
    public const long Size = 400L * 1024 * 1024;

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private readonly int status;
    private readonly string contentType;
    private readonly byte[] head;
    private readonly byte[] filler;
    private long bodyBytesSent;
    private int requests;

    /// <param name="status">The status code of every answer.</param>
    /// <param name="contentType">Its Content-Type.</param>
    /// <param name="head">The start of the body (e.g. <c>{"received":[</c>).</param>
    /// <param name="filler">Repeated after <paramref name="head"/> without end (e.g. <c>0,</c>).</param>
    public EndlessBodyServer(int status, string contentType, string head, string filler)
    {
        this.status = status;
        this.contentType = contentType;
        this.head = Encoding.UTF8.GetBytes(head);
        var one = Encoding.UTF8.GetBytes(filler);
        this.filler = Enumerable.Repeat(one, (64 * 1024) / one.Length).SelectMany(b => b).ToArray();
        listener.Start();
        accepting = AcceptAsync();
    }

    public Uri BaseUri => new($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

    /// <summary>Body bytes the kernel accepted for sending, over all requests.</summary>
    public long BodyBytesSent => Interlocked.Read(ref bodyBytesSent);

    public int Requests => Volatile.Read(ref requests);

    public async ValueTask DisposeAsync()
    {
        stop.Cancel();
        listener.Stop();
        try
        {
            await accepting;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            var socket = await listener.AcceptSocketAsync(stop.Token);
            _ = Task.Run(() => AnswerAsync(socket));
        }
    }

    private async Task AnswerAsync(Socket socket)
    {
        using (socket)
        {
            try
            {
                // The request: headers up to the blank line; a body after it is not read (it may come in the same read).
                var request = new List<byte>();
                var buffer = new byte[4096];
                while (!HasBlankLine(request))
                {
                    var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    request.AddRange(buffer.AsSpan(0, read).ToArray());
                }

                Interlocked.Increment(ref requests);
                await SendAsync(socket, Encoding.ASCII.GetBytes($"HTTP/1.1 {status} Answer\r\nContent-Type: {contentType}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"), count: false);
                await SendChunkAsync(socket, head);
                while (!stop.IsCancellationRequested && BodyBytesSent < Size)
                {
                    await SendChunkAsync(socket, filler);
                }

                await SendAsync(socket, "0\r\n\r\n"u8.ToArray(), count: false);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client closed the connection: what it had not read was never sent.
            }
        }
    }

    private async Task SendChunkAsync(Socket socket, byte[] data)
    {
        await SendAsync(socket, Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), count: false);
        await SendAsync(socket, data, count: true);
        await SendAsync(socket, "\r\n"u8.ToArray(), count: false);
    }

    private async Task SendAsync(Socket socket, byte[] data, bool count)
    {
        for (var sent = 0; sent < data.Length;)
        {
            var n = await socket.SendAsync(data.AsMemory(sent), SocketFlags.None, stop.Token);
            sent += n;
            if (count)
            {
                Interlocked.Add(ref bodyBytesSent, n);
            }
        }
    }

    private static bool HasBlankLine(List<byte> bytes) => bytes.ToArray().AsSpan().IndexOf("\r\n\r\n"u8) >= 0;
}
