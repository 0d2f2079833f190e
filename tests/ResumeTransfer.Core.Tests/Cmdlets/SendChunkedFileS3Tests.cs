using System.Collections;
using System.Management.Automation;
using System.Security;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>Send-ChunkedFile in a real runspace against OpenStack Swift's s3api (tests/peers, started by <see cref="SwiftS3Peer"/>).</summary>
public sealed class SendChunkedFileS3Tests : IClassFixture<SwiftS3Peer>, IDisposable
{
    private const long MiB = 1024 * 1024;

    private readonly SwiftS3Peer peer;
    private readonly PowerShellSession session = new();

    public SendChunkedFileS3Tests(SwiftS3Peer peer)
    {
        this.peer = peer;
    }

    public void Dispose() => session.Dispose();

    [Fact]
    public async Task GetChildItemToAnS3PrefixStoresEveryFileUnderItsNameWithTheEndpointAndCredential()
    {
        Directory.CreateDirectory(session.PathOf("isos"));
        var big = SourceFiles.Create(session.PathOf(Path.Combine("isos", "big.iso")), (5 * MiB) + 1, seed: 3);
        var small = SourceFiles.Create(session.PathOf(Path.Combine("isos", "small.iso")), 1000, seed: 4);
        var prefix = $"run-{Guid.NewGuid():N}/";

        var (ps, output) = session.Run(
            "param($u, $endpoint, $cred) Get-ChildItem isos/*.iso | Send-ChunkedFile -Uri $u -Endpoint $endpoint -Credential $cred -ChunkSize 5MB -ContentType application/x-iso9660-image -PassThru",
            new Hashtable { ["u"] = new Uri($"s3://{S3Peer.Bucket}/{prefix}"), ["endpoint"] = peer.Endpoint, ["cred"] = Credential(peer.AccessKey, peer.SecretKey) });

        Assert.Empty(ps.Streams.Error);
        var results = output.Select(o => Assert.IsType<UploadResult>(o.BaseObject)).OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { prefix + "big.iso", prefix + "small.iso" }, results.Select(r => r.Key));
        Assert.All(results, r =>
        {
            Assert.Equal(UploadProtocolKind.S3, r.Protocol);
            Assert.Equal(S3Peer.Bucket, r.Bucket);
            Assert.False(string.IsNullOrEmpty(r.UploadId));
        });
        Assert.EndsWith("-2", results[0].ETag!.Trim('"'), StringComparison.Ordinal);
        Assert.Equal(SourceFiles.Sha256(big), await peer.StoredSha256Async(prefix + "big.iso"));
        Assert.Equal(SourceFiles.Sha256(small), await peer.StoredSha256Async(prefix + "small.iso"));
        Assert.Empty(Directory.GetFiles(session.PathOf("isos"), "*" + UploadStateStore.Extension + "*"));
    }

    [Fact]
    public void AWrongSecretIsAccessDeniedForThatFileAndNothingIsStored()
    {
        var source = SourceFiles.Create(session.PathOf("denied.bin"), 1000);
        var key = $"denied-{Guid.NewGuid():N}.bin";

        var (ps, output) = session.Run(
            "param($u, $endpoint, $cred) Send-ChunkedFile denied.bin $u -Endpoint $endpoint -Credential $cred -MaxRetries 0 -PassThru",
            new Hashtable { ["u"] = new Uri($"s3://{S3Peer.Bucket}/{key}"), ["endpoint"] = peer.Endpoint, ["cred"] = Credential(peer.AccessKey, "not-the-secret") });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("AccessDenied,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
        Assert.Equal(source, error.TargetObject);
        Assert.Empty(output);
    }

    private static PSCredential Credential(string user, string password)
    {
        var secure = new SecureString();
        foreach (var c in password)
        {
            secure.AppendChar(c);
        }

        return new PSCredential(user, secure);
    }
}
