using System.Net.Http;
using System.Security.Cryptography;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// @tus/server 2.4.5 + @tus/file-store 2.1.1 (tests/peers/tus-server.mjs) on an ephemeral port with a request log, one per
/// test class. <see cref="TusChecksumPeer"/> is the same server behind the project's own checksum layer.
/// </summary>
public class TusPeer : IAsyncLifetime
{
    private readonly string[] extraArguments;
    private PeerProcess? peer;

    public TusPeer()
        : this(Array.Empty<string>())
    {
    }

    protected TusPeer(string[] extraArguments)
    {
        this.extraArguments = extraArguments;
    }

    /// <summary>The creation endpoint, http://127.0.0.1:port/files.</summary>
    public Uri Endpoint => Peer.Url;

    /// <summary>Where @tus/file-store keeps the uploads: file &lt;id&gt; holds the bytes.</summary>
    public string StoreDirectory { get; } = Path.Combine(Path.GetTempPath(), $"rt-tus-{Guid.NewGuid():N}");

    private PeerProcess Peer => peer ?? throw new InvalidOperationException("The tus peer is not running.");

    /// <summary>The launcher's request log lines (<c>LOG method path status tus=... req-offset=... res-offset=... checksum=...</c>).</summary>
    public IReadOnlyList<TusLogLine> Log => Peer.Lines.Where(l => l.StartsWith("LOG ", StringComparison.Ordinal)).Select(TusLogLine.Parse).ToList();

    /// <summary>Log lines about one upload (its URL path) or the endpoint.</summary>
    public IReadOnlyList<TusLogLine> LogFor(Uri uploadUrl) => Log.Where(l => l.Path == uploadUrl.AbsolutePath).ToList();

    /// <summary>Hex SHA-256 of what the server stored for the upload at <paramref name="uploadUrl"/>.</summary>
    public string StoredSha256(Uri uploadUrl)
    {
        using var stream = File.OpenRead(StoredFile(uploadUrl));
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    public string StoredFile(Uri uploadUrl) => Path.Combine(StoreDirectory, uploadUrl.Segments[^1]);

    /// <summary>HEAD with Tus-Resumable: the server's offset, or null when the upload is gone.</summary>
    public async Task<long?> OffsetAsync(Uri uploadUrl)
    {
        using var client = new HttpClient();
        using var message = new HttpRequestMessage(HttpMethod.Head, uploadUrl);
        message.Headers.Add("Tus-Resumable", "1.0.0");
        using var response = await client.SendAsync(message);
        return response.IsSuccessStatusCode ? long.Parse(response.Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Deletes an upload behind the client's back (as an expiring server would).</summary>
    public async Task DeleteAsync(Uri uploadUrl)
    {
        using var client = new HttpClient();
        using var message = new HttpRequestMessage(HttpMethod.Delete, uploadUrl);
        message.Headers.Add("Tus-Resumable", "1.0.0");
        using var response = await client.SendAsync(message);
        response.EnsureSuccessStatusCode();
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(StoreDirectory);
        peer = await PeerProcess.StartNodeAsync("tus-server.mjs", new[] { "--port", "0", "--dir", StoreDirectory, "--log", "--max-lifetime-sec", "900" }.Concat(extraArguments).ToArray());
    }

    public async Task DisposeAsync()
    {
        if (peer is not null)
        {
            await peer.DisposeAsync();
        }

        Directory.Delete(StoreDirectory, recursive: true);
    }
}

/// <summary>The tus peer behind the project's checksum layer (sha1), answering 460 to the first two checksummed PATCHes.</summary>
public sealed class TusChecksumPeer : TusPeer
{
    public const int InjectedRejections = 2;

    public TusChecksumPeer()
        : base(new[] { "--checksum", "--reject-checksums", InjectedRejections.ToString(System.Globalization.CultureInfo.InvariantCulture) })
    {
    }
}

/// <summary>One request as the tus launcher logged it.</summary>
public sealed record TusLogLine(string Method, string Path, int Status, string TusResumable, string RequestOffset, string ResponseOffset, string Checksum)
{
    public static TusLogLine Parse(string line)
    {
        // LOG <method> <path> <status> tus=<v> req-offset=<v> res-offset=<v> checksum=<algorithm value | ->
        var words = line.Split(' ');
        string Value(string name) => words.First(w => w.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        var checksumAt = line.IndexOf(" checksum=", StringComparison.Ordinal);
        return new TusLogLine(words[1], words[2], int.Parse(words[3], System.Globalization.CultureInfo.InvariantCulture), Value("tus"), Value("req-offset"), Value("res-offset"), line[(checksumAt + 10)..]);
    }
}
