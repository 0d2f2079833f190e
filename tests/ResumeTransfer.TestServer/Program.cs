using System.Globalization;
using System.Runtime.InteropServices;

namespace ResumeTransfer.TestServer;

/// <summary>
/// Standalone mode for Pester, the demo and benchmarks:
/// <c>dotnet ResumeTransfer.TestServer.dll [--port 0] [--other-port 0] [--max-lifetime-sec 1800]</c>.
/// Prints one line <c>READY http://127.0.0.1:PORT http://127.0.0.2:PORT2</c> on stdout once both listeners accept
/// connections, then serves until SIGTERM/SIGINT or the lifetime runs out, and exits 0. Endpoints and query parameters
/// (size, seed, version, tag, fault=drop|short|stall|wrongrange|ignorerange|status|gzip|chunked, times, at, code,
/// retryafter, changeafter, noetag, weaketag, nolastmodified, noranges, rate, latency, disposition, user, pass;
/// /redirect, /auth/files, /_log, /_sha256) are documented on <see cref="TestServerHost"/>.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        int port = 0;
        int otherPort = 0;
        int maxLifetimeSec = 1800;
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (i + 1 >= args.Length || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value))
            {
                return Usage($"missing or bad value for {name}");
            }

            i++;
            switch (name)
            {
                case "--port": port = value; break;
                case "--other-port": otherPort = value; break;
                case "--max-lifetime-sec": maxLifetimeSec = value; break;
                default: return Usage($"unknown option {name}");
            }
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Max(1, maxLifetimeSec)));
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

        await using TestServerHost server = await TestServerHost.StartAsync(port, otherPort, consoleErrors: true, stop.Token);
        Console.Out.WriteLine($"READY {server.BaseUri.GetLeftPart(UriPartial.Authority)} {server.OtherOriginUri.GetLeftPart(UriPartial.Authority)}");
        Console.Out.Flush();
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, stop.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM, SIGINT or --max-lifetime-sec: shut down cleanly.
        }

        return 0;
    }

    private static int Usage(string problem)
    {
        Console.Error.WriteLine($"{problem}\nusage: ResumeTransfer.TestServer [--port N] [--other-port N] [--max-lifetime-sec N]");
        return 2;
    }
}
