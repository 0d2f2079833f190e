using System.Globalization;
using ResumeTransfer.Core.Tests.Upload;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// A chunk-upload server that already exists, from tests/peers, as a process on an ephemeral port with a request log:
/// the flow.js project's Node.js sample (flow-server.cjs) or a receiver written to the product brief's description
/// (seed-receiver.cjs). One per test, so each can have its own faults; stopped and its storage removed on dispose.
/// </summary>
public sealed class ExistingChunkServer : IAsyncDisposable
{
    private readonly PeerProcess peer;

    private ExistingChunkServer(PeerProcess peer, string directory)
    {
        this.peer = peer;
        Directory = directory;
    }

    /// <summary>The upload URL, http://127.0.0.1:port/upload.</summary>
    public Uri Url => peer.Url;

    /// <summary>The server's storage: flow <c>tmp/flow-&lt;id&gt;.&lt;n&gt;</c>; seed <c>chunks/&lt;name&gt;/&lt;n&gt;</c> and <c>files/&lt;name&gt;</c>.</summary>
    public string Directory { get; }

    /// <summary>The requests answered so far, oldest first.</summary>
    public IReadOnlyList<ChunkServerLogLine> Log => peer.Lines.Where(l => l.StartsWith("LOG ", StringComparison.Ordinal)).Select(ChunkServerLogLine.Parse).ToList();

    /// <summary>The chunk POSTs answered so far.</summary>
    public IReadOnlyList<ChunkServerLogLine> ChunkPosts => Log.Where(l => l.Method == "POST" && l.Path == Url.AbsolutePath).ToList();

    /// <summary>The flow.js sample (@flowjs/flow.js 2.14.1 samples/Node.js, with the one-line status fix).</summary>
    public static Task<ExistingChunkServer> StartFlowAsync(params string[] options) => StartAsync("flow-server.cjs", options);

    /// <summary>The brief's receiver; options such as <c>--fields chunk=index --base 1 --merge-path done --fail-post 3</c>.</summary>
    public static Task<ExistingChunkServer> StartSeedAsync(params string[] options) => StartAsync("seed-receiver.cjs", options);

    /// <summary>Flow: the file assembled from the chunks of <paramref name="identifier"/> (GET /download/ID of the sample).</summary>
    public async Task<string> DownloadSha256Async(string identifier)
    {
        using var client = new HttpClient();
        var bytes = await client.GetByteArrayAsync(new Uri(Url, "/download/" + identifier));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
    }

    /// <summary>Flow: the chunk numbers the sample stores for <paramref name="identifier"/>.</summary>
    public IReadOnlyList<int> FlowChunksHeld(string identifier) =>
        System.IO.Directory.GetFiles(Path.Combine(Directory, "tmp"), $"flow-{identifier}.*")
            .Select(f => int.Parse(Path.GetExtension(f)[1..], CultureInfo.InvariantCulture)).Order().ToList();

    /// <summary>Seed: the merged file of that name.</summary>
    public string SeedMergedFile(string name) => Path.Combine(Directory, "files", name);

    /// <summary>Waits until requests still running (cut off by a cancellation, or logged after their answer) are logged.</summary>
    public async Task WaitForQuietAsync()
    {
        var count = -1;
        for (var i = 0; i < 100 && Log.Count != count; i++)
        {
            count = Log.Count;
            await Task.Delay(150);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await peer.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A chunk the server was still writing; the temp folder is cleaned later.
        }
    }

    private static async Task<ExistingChunkServer> StartAsync(string script, string[] options)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"rt-existing-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        var peer = await PeerProcess.StartNodeAsync(script, new[] { "--port", "0", "--dir", directory, "--log", "--max-lifetime-sec", "600" }.Concat(options).ToArray());
        return new ExistingChunkServer(peer, directory);
    }
}

/// <summary>One request as the launchers log it: <c>LOG method path status chunk=N|- id=ID|-</c> (flow) or <c>name=NAME|-</c> (seed).</summary>
public sealed record ChunkServerLogLine(string Method, string Path, int Status, int? Chunk, string? Id)
{
    public static ChunkServerLogLine Parse(string line)
    {
        var words = line.Split(' ');
        string? Value(string name) => words.FirstOrDefault(w => w.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..] is { } v && v != "-" ? v : null;
        var chunk = Value("chunk");
        return new ChunkServerLogLine(words[1], words[2], int.Parse(words[3], CultureInfo.InvariantCulture), chunk is null ? null : int.Parse(chunk, CultureInfo.InvariantCulture), Value("id") ?? Value("name"));
    }
}
