using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>
/// The test server as a separate process (<c>dotnet ResumeTransfer.TestServer.dll</c> from the test output directory),
/// for tests that need a server they can stop or kill independently of the test process. Started with a lifetime limit
/// so it can never outlive a crashed test run; disposing sends SIGTERM and kills it if it has not exited after 5 s.
/// </summary>
public sealed class TestServerProcess : IAsyncDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;

    private TestServerProcess(Process process, Uri baseUri, Uri otherOriginUri)
    {
        _process = process;
        BaseUri = baseUri;
        OtherOriginUri = otherOriginUri;
    }

    /// <summary><c>http://127.0.0.1:port/</c></summary>
    public Uri BaseUri { get; }

    /// <summary><c>http://127.0.0.2:port/</c></summary>
    public Uri OtherOriginUri { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts the server process and waits (at most 30 s) for its <c>READY url1 url2</c> line.</summary>
    public static async Task<TestServerProcess> StartAsync(int maxLifetimeSec = 300)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "ResumeTransfer.TestServer.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--max-lifetime-sec");
        start.ArgumentList.Add(maxLifetimeSec.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Process process = Process.Start(start) ?? throw new InvalidOperationException("Could not start " + dll);
        process.ErrorDataReceived += (_, _) => { }; // drained so a chatty server never blocks on a full pipe
        process.BeginErrorReadLine();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string? line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            string[] parts = line?.Split(' ') ?? [];
            if (parts.Length != 3 || parts[0] != "READY")
            {
                throw new InvalidOperationException($"The test server process said '{line}' instead of 'READY url1 url2'.");
            }

            return new TestServerProcess(process, new Uri(parts[1] + "/"), new Uri(parts[2] + "/"));
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Sends SIGTERM and waits up to <paramref name="wait"/>; returns the exit code, or null if it is still running.</summary>
    public async Task<int?> TerminateAsync(TimeSpan wait)
    {
        if (!_process.HasExited)
        {
            _ = kill(_process.Id, SigTerm);
        }

        using var timeout = new CancellationTokenSource(wait);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (await TerminateAsync(TimeSpan.FromSeconds(5)) is null)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054, CA5392 // one libc call in a test helper; .NET has no API to send SIGTERM.
    private static extern int kill(int pid, int signal);
#pragma warning restore SYSLIB1054, CA5392
}
