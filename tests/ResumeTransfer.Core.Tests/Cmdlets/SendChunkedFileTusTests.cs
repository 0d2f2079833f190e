using System.Collections;
using System.Management.Automation;
using System.Text.Json;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>Send-ChunkedFile in a real runspace against @tus/server 2.4.5 (tests/peers, started by <see cref="TusPeer"/>).</summary>
public sealed class SendChunkedFileTusTests : IClassFixture<TusPeer>, IDisposable
{
    private readonly TusPeer peer;
    private readonly PowerShellSession session = new();

    public SendChunkedFileTusTests(TusPeer peer)
    {
        this.peer = peer;
    }

    public void Dispose() => session.Dispose();

    [Fact]
    public void AutoFindsTheTusServerAndTheStoredUploadHasTheFilesBytesAndMetadata()
    {
        const long size = (4 * 64 * 1024) + 1;
        var source = SourceFiles.Create(session.PathOf("tus.bin"), size);

        var (ps, output) = session.Run(
            "param($u) Get-Item tus.bin | Send-ChunkedFile -Uri $u -ChunkSize 64KB -ContentType application/x-test -Metadata @{ owner = 'ops' } -PassThru",
            new Hashtable { ["u"] = peer.Endpoint });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<UploadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(UploadProtocolKind.Tus, result.Protocol);
        Assert.Equal(source, result.Path);
        Assert.Equal(size, result.BytesSent);
        Assert.Equal(1, result.Connections);
        Assert.NotNull(result.UploadUrl);
        Assert.Equal(SourceFiles.Sha256(source), peer.StoredSha256(result.UploadUrl!));
        Assert.Equal(5, peer.LogFor(result.UploadUrl!).Count(line => line.Method == "PATCH" && line.Status == 204));
        using var info = JsonDocument.Parse(File.ReadAllText(peer.StoredFile(result.UploadUrl!) + ".json"));
        var metadata = info.RootElement.GetProperty("metadata");
        Assert.Equal("tus.bin", metadata.GetProperty("filename").GetString());
        Assert.Equal("application/x-test", metadata.GetProperty("filetype").GetString());
        Assert.Equal("ops", metadata.GetProperty("owner").GetString());
        Assert.False(File.Exists(source + UploadStateStore.Extension));
    }

    [Fact]
    public void ACredentialOverPlainHttpNeedsAllowUnencryptedAuthenticationAndNothingIsSentWithoutIt()
    {
        var source = SourceFiles.Create(session.PathOf("secret.bin"), 1000);
        var posts = peer.Log.Count(line => line.Method == "POST");

        var (ps, output) = session.Run(
            "param($u, $cred) Send-ChunkedFile secret.bin $u -Protocol Tus -Credential $cred -PassThru",
            new Hashtable { ["u"] = peer.Endpoint, ["cred"] = new PSCredential("alice", Secure("s3cret")) });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-AllowUnencryptedAuthentication", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(source, error.TargetObject);
        Assert.Empty(output);
        Assert.Equal(posts, peer.Log.Count(line => line.Method == "POST"));
    }

    private static System.Security.SecureString Secure(string text)
    {
        var secure = new System.Security.SecureString();
        foreach (var c in text)
        {
            secure.AppendChar(c);
        }

        return secure;
    }
}
