using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections.Features;

namespace ResumeTransfer.TestServer;

/// <summary>
/// Ends a response early so that the client still receives exactly the bytes already written: <c>drop</c> resets the
/// connection (RST), <c>short</c> closes it cleanly (FIN) short of the promised length.
/// </summary>
/// <remarks>
/// A plain <see cref="HttpContext.Abort"/> right after a flush loses data: Kestrel resets the socket while up to
/// 64 KiB still sit in its output pipe and the kernel discards unsent data on reset. So before cutting, wait until the
/// kernel's send queue for the socket is empty (Linux SIOCOUTQ), i.e. the client has acknowledged every byte.
/// </remarks>
internal static class ConnectionCutter
{
    private const ulong SiocOutQ = 0x5411;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan FallbackDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxDrain = TimeSpan.FromSeconds(120);

    public static async Task ResetAsync(HttpContext context, CancellationToken token)
    {
        await DrainAsync(context, token);
        context.Abort();
    }

    public static async Task CloseAsync(HttpContext context, CancellationToken token)
    {
        Socket? socket = await DrainAsync(context, token);
        try
        {
            socket?.Shutdown(SocketShutdown.Send);
            // Give the client a moment to read up to the FIN before Kestrel tears the connection down.
            await Task.Delay(TimeSpan.FromSeconds(5), token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The client noticed and left, which is the point.
        }

        context.Abort();
    }

    private static async Task<Socket?> DrainAsync(HttpContext context, CancellationToken token)
    {
        Socket? socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        try
        {
            if (socket is null || !OperatingSystem.IsLinux())
            {
                await Task.Delay(FallbackDelay, token);
                return socket;
            }

            long startedAt = Stopwatch.GetTimestamp();
            int emptyPolls = 0;
            // Three empty polls in a row: Kestrel's send loop has had time to move the rest of its pipe to the kernel.
            // A client that stops reading keeps bytes queued: give up after MaxDrain, as a stall does.
            while ((emptyPolls < 3 || Stopwatch.GetElapsedTime(startedAt) < TimeSpan.FromMilliseconds(20)) &&
                Stopwatch.GetElapsedTime(startedAt) < MaxDrain)
            {
                await Task.Delay(PollInterval, token);
                if (QueuedBytes(socket) is not { } queued)
                {
                    await Task.Delay(FallbackDelay, token);
                    return socket;
                }

                emptyPolls = queued == 0 ? emptyPolls + 1 : 0;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // Client gone or server stopping: cut now.
        }

        return socket;
    }

    /// <summary>Bytes the kernel has not yet had acknowledged by the peer, or null when the ioctl fails.</summary>
    private static int? QueuedBytes(Socket socket)
    {
        // DangerousGetHandle rather than Socket.Handle: exposing the handle changes how .NET drives the socket Kestrel is using.
        bool added = false;
        try
        {
            socket.SafeHandle.DangerousAddRef(ref added);
            return ioctl((int)socket.SafeHandle.DangerousGetHandle(), SiocOutQ, out int queued) == 0 ? queued : null;
        }
        finally
        {
            if (added)
            {
                socket.SafeHandle.DangerousRelease();
            }
        }
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // a one-off Linux ioctl in a test server; LibraryImport would need unsafe code.
    private static extern int ioctl(int fd, ulong request, out int value);
#pragma warning restore SYSLIB1054, CA5392
}
