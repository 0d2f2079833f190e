using System.Globalization;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ResumeTransfer.Core.Tests.Upload;

namespace ResumeTransfer.Core.Tests.Download.Ftp;

/// <summary>
/// tests/peers/ftp-server.py (pyftpdlib) on an ephemeral port, one per test (each test picks its server's options:
/// --tls, --no-rest, --max-logins...). Files are written straight into its root; its log says which commands came and
/// how many bytes each data connection sent.
/// </summary>
internal sealed class FtpPeer : IAsyncDisposable
{
    private readonly PeerProcess peer;
    private readonly X509Certificate2? certificate;

    private FtpPeer(PeerProcess peer)
    {
        this.peer = peer;
        Root = peer.ReadyValue("dir")!;
        if (peer.ReadyValue("cert") is { } cert)
        {
            CertificatePath = cert;
            certificate = X509Certificate2.CreateFromPem(File.ReadAllText(cert));
        }
    }

    /// <summary>ftp://127.0.0.1:port/ or ftps://...</summary>
    public Uri Url => peer.Url;

    /// <summary>The folder the server serves.</summary>
    public string Root { get; }

    /// <summary>The server's self-signed certificate (PEM), for --tls.</summary>
    public string? CertificatePath { get; }

    /// <summary>Trusts the server's own certificate only (as a machine whose store holds it would), with the host name check.</summary>
    public RemoteCertificateValidationCallback Trust => (_, presented, _, errors) =>
        presented is not null && certificate is not null && presented.GetCertHashString() == certificate.Thumbprint &&
        (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;

    /// <summary>The commands received, in order: (session, command line); PASS shows as "PASS ***".</summary>
    public IReadOnlyList<(int Session, string Line)> Commands =>
        Events("CMD ").Select(l =>
        {
            var space = l.IndexOf(' ', StringComparison.Ordinal);
            return (int.Parse(l[..space], CultureInfo.InvariantCulture), l[(space + 1)..]);
        }).ToList();

    /// <summary>Every closed data connection: bytes sent, REST offset, whether the transfer finished.</summary>
    public IReadOnlyList<FtpDataLine> Data => Events("DATA ").Select(FtpDataLine.Parse).ToList();

    /// <summary>For each TLS data connection: whether it resumed the control connection's session.</summary>
    public IReadOnlyList<bool> TlsReuse => Events("TLSDATA ").Select(l => l.EndsWith("reused=1", StringComparison.Ordinal)).ToList();

    public static async Task<FtpPeer> StartAsync(params string[] options) =>
        new(await PeerProcess.StartDebianPythonAsync("ftp-server.py", "pyftpdlib", "python3-pyftpdlib", options));

    /// <summary>The address of <paramref name="name"/> on this server.</summary>
    public Uri For(string name) => new(Url, name);

    /// <summary>Writes <paramref name="size"/> random bytes as <paramref name="name"/>; returns their SHA-256 (hex).</summary>
    public string Put(string name, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Waits (up to 10 s) until the log satisfies <paramref name="condition"/>: the server logs a data connection when it has closed it.</summary>
    public async Task WaitForLogAsync(Func<FtpPeer, bool> condition)
    {
        for (var waited = 0; waited < 10_000 && !condition(this); waited += 50)
        {
            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync()
    {
        certificate?.Dispose();
        return peer.DisposeAsync();
    }

    private IEnumerable<string> Events(string kind) =>
        peer.Lines.Where(l => l.StartsWith("LOG " + kind, StringComparison.Ordinal)).Select(l => l[(4 + kind.Length)..]);
}

/// <summary>One LOG DATA line: a data connection that closed.</summary>
internal sealed record FtpDataLine(int Session, long Sent, long Rest, string File, bool Complete)
{
    public static FtpDataLine Parse(string line)
    {
        var words = line.Split(' ');
        string Value(string name) => words.First(w => w.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        return new FtpDataLine(
            int.Parse(words[0], CultureInfo.InvariantCulture),
            long.Parse(Value("sent"), CultureInfo.InvariantCulture),
            long.Parse(Value("rest"), CultureInfo.InvariantCulture),
            Value("file"),
            Value("complete") == "1");
    }
}
