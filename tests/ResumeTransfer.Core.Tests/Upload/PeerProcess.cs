using System.Collections.Concurrent;
using System.Diagnostics;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// A third-party test peer from tests/peers (node or python) as a child process: started with an ephemeral port,
/// ready when it prints <c>READY url ...</c>, its later stdout lines kept (request logs), and stopped on dispose. Its
/// stdin is a pipe the peer watches (<c>--stdin-lifeline</c>): if the test runner dies, the pipe closes and the peer
/// exits on its own. Missing tools are a test failure with the fix in the message, never a skip.
/// </summary>
public sealed class PeerProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> lines;
    private int disposed;

    private PeerProcess(Process process, string readyLine, ConcurrentQueue<string> lines)
    {
        this.process = process;
        this.lines = lines;
        ReadyLine = readyLine;
        Url = new Uri(readyLine.Split(' ')[1]);
    }

    /// <summary>The first word after READY.</summary>
    public Uri Url { get; }

    /// <summary>The whole READY line (the launchers add dir=..., bucket=...).</summary>
    public string ReadyLine { get; }

    /// <summary>stdout lines after READY (e.g. the tus launcher's <c>LOG ...</c> lines).</summary>
    public IReadOnlyList<string> Lines => lines.ToArray();

    /// <summary>The value of <c>name=value</c> in the READY line.</summary>
    public string? ReadyValue(string name) =>
        ReadyLine.Split(' ').FirstOrDefault(w => w.StartsWith(name + "=", StringComparison.Ordinal))?.Substring(name.Length + 1);

    /// <summary>The tests/peers folder of this checkout (found upwards from the test assembly).</summary>
    public static string PeersDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "peers");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException($"tests/peers/package.json was not found above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Starts a node launcher from tests/peers; fails clearly when node or the npm packages are missing.</summary>
    public static Task<PeerProcess> StartNodeAsync(string script, params string[] arguments)
    {
        var peers = PeersDirectory;
        if (!Directory.Exists(Path.Combine(peers, "node_modules")))
        {
            throw new InvalidOperationException(
                $"The upload test peers are not installed: run `npm ci` in {peers} (build.ps1 and .ci/run do this; node 20 is required).");
        }

        return StartAsync("node", peers, TimeSpan.FromSeconds(30), new[] { Path.Combine(peers, script) }.Concat(arguments).ToArray());
    }

    /// <summary>Starts a python launcher from tests/peers with Debian's /usr/bin/python3 (python3-swift lives there).</summary>
    public static Task<PeerProcess> StartPythonAsync(string script, params string[] arguments) =>
        StartDebianPythonAsync(script, "swift", "python3-swift", arguments);

    /// <summary>
    /// Starts a python launcher from tests/peers with Debian's /usr/bin/python3, after checking that the Debian package
    /// <paramref name="package"/> installed the module <paramref name="module"/> there.
    /// </summary>
    public static Task<PeerProcess> StartDebianPythonAsync(string script, string module, string package, params string[] arguments)
    {
        var peers = PeersDirectory;
        if (!File.Exists($"/usr/lib/python3/dist-packages/{module}/__init__.py"))
        {
            throw new InvalidOperationException(
                $"The Python module '{module}' is not installed: run `apt-get install -y --no-install-recommends {package}` (.ci/run does this).");
        }

        return StartAsync("/usr/bin/python3", peers, TimeSpan.FromSeconds(60), new[] { Path.Combine(peers, script) }.Concat(arguments).ToArray());
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                // Closing stdin is the peer's signal to stop and remove its temp data.
                process.StandardInput.Close();
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            process.Dispose();
        }
    }

    private static async Task<PeerProcess> StartAsync(string executable, string workingDirectory, TimeSpan readyTimeout, string[] arguments)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Append("--stdin-lifeline"))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NODE_NO_WARNINGS"] = "1";
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Could not start '{executable}' for the upload test peers ({ex.Message}). Install it (node 20 from nodesource/apt; /usr/bin/python3 with python3-swift).", ex);
        }

        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var readySeen = 0;
        var lines = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"{executable} {string.Join(' ', arguments)} exited before READY: {string.Join(Environment.NewLine, errors)}"));
                return;
            }

            if (Volatile.Read(ref readySeen) == 1)
            {
                lines.Enqueue(e.Data);
            }
            else if (e.Data.StartsWith("READY ", StringComparison.Ordinal))
            {
                Volatile.Write(ref readySeen, 1);
                ready.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var line = await ready.Task.WaitAsync(readyTimeout);
            return new PeerProcess(process, line, lines);
        }
        catch (Exception ex)
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw new InvalidOperationException($"The test peer {executable} {string.Join(' ', arguments)} did not become ready: {ex.Message} {string.Join(Environment.NewLine, errors)}", ex);
        }
    }
}
