using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>An S3-compatible test server started for one test class, with a bucket and the credentials it accepts.</summary>
public abstract class S3Peer : IAsyncLifetime
{
    private PeerProcess? peer;
    private AmazonS3Client? client;

    public const string Bucket = "test-bucket";

    public abstract string AccessKey { get; }

    public abstract string SecretKey { get; }

    public Uri Endpoint => (peer ?? throw new InvalidOperationException("The S3 peer is not running.")).Url;

    public NetworkCredential Credential => new(AccessKey, SecretKey);

    /// <summary>A client with the settings PROTOCOLS.md gives for S3-compatible servers, for checking what was stored.</summary>
    public AmazonS3Client Client => client ??= new AmazonS3Client(
        new BasicAWSCredentials(AccessKey, SecretKey),
        new AmazonS3Config
        {
            ServiceURL = Endpoint.AbsoluteUri,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    /// <summary>Hex SHA-256 of the stored object.</summary>
    public async Task<string> StoredSha256Async(string key)
    {
        using var response = await Client.GetObjectAsync(Bucket, key);
        using var sha = SHA256.Create();
        var hash = await sha.ComputeHashAsync(response.ResponseStream);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>True when the multipart upload still exists (ListParts answers), false for NoSuchUpload.</summary>
    public async Task<bool> UploadExistsAsync(string key, string uploadId)
    {
        try
        {
            await Client.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = key, UploadId = uploadId });
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchUpload")
        {
            return false;
        }
    }

    public async Task InitializeAsync() => peer = await StartAsync();

    public async Task DisposeAsync()
    {
        client?.Dispose();
        if (peer is not null)
        {
            await peer.DisposeAsync();
        }
    }

    protected abstract Task<PeerProcess> StartAsync();
}

/// <summary>OpenStack Swift with s3api (tests/peers/swift-s3.py): the strict S3 peer.</summary>
public sealed class SwiftS3Peer : S3Peer
{
    public override string AccessKey => "test:tester";

    public override string SecretKey => "testing";

    protected override Task<PeerProcess> StartAsync() =>
        PeerProcess.StartPythonAsync("swift-s3.py", "--port", "0", "--backend-port-base", "0", "--bucket", Bucket, "--max-lifetime-sec", "900");
}

/// <summary>s3rver 3.7.1 (tests/peers/s3rver-server.cjs): the lenient S3 peer without ListParts and Abort.</summary>
public sealed class S3rverPeer : S3Peer
{
    public override string AccessKey => "S3RVER";

    public override string SecretKey => "S3RVER";

    protected override Task<PeerProcess> StartAsync() =>
        PeerProcess.StartNodeAsync("s3rver-server.cjs", "--port", "0", "--bucket", Bucket, "--max-lifetime-sec", "900");
}
