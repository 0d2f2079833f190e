using System.Net;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>Swift (s3api) stops while parts are in flight and comes back on the same data and ports: the same run finishes.</summary>
public sealed class S3ServerRestartTests : IDisposable
{
    private const long Part = 5 * 1024 * 1024;

    private readonly TempDir dir = new("rt-s3-restart");
    private readonly HttpClient client = TransferHttpClientFactory.Create(2);

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task UploadSurvivesServerRestartMidPart()
    {
        var data = dir.File("swift");
        var peer = await StartAsync(data);
        var restarted = new TaskCompletionSource<PeerProcess>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var length = (4 * Part) + 17;
            var path = SourceFiles.Create(dir.File("restart.bin"), length);
            var request = new UploadRequest
            {
                Path = path,
                Uri = new Uri($"s3://{S3Peer.Bucket}/restart/restart.bin"),
                Protocol = UploadProtocolKind.S3,
                Endpoint = peer.Url,
                Credential = new NetworkCredential("test:tester", "testing"),
                ChunkSize = Part,
                Connections = 2,
                MaxRetries = 8,
                RetryInterval = TimeSpan.FromMilliseconds(500),
            };
            var observer = new UploadTestObserver();
            using var protocol = new InterruptingProtocol(
                new S3MultipartProtocol(request, observer),
                () => _ = Task.Run(async () =>
                {
                    try
                    {
                        await peer.DisposeAsync();
                        restarted.SetResult(await StartAsync(data));
                    }
                    catch (Exception ex)
                    {
                        restarted.SetException(ex);
                    }
                }),
                Part + (Part / 2),
                cancelAfterChunks: 1);

            var result = await new UploadEngine(client, TimeProvider.System, observer) { PerUserStateFolder = dir.File("per-user") }
                .UploadAsync(request, protocol, 1, CancellationToken.None);

            peer = await restarted.Task;
            Assert.Equal(request.Endpoint.Port, peer.Url.Port);
            Assert.Contains(observer.Messages, m => m.Level == TransferMessageLevel.Verbose && m.Text.Contains("retrying", StringComparison.Ordinal));
            Assert.EndsWith("-5\"", result.ETag, StringComparison.Ordinal);

            using var check = new AmazonS3Client(
                new BasicAWSCredentials("test:tester", "testing"),
                new AmazonS3Config { ServiceURL = peer.Url.AbsoluteUri, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
            using var stored = await check.GetObjectAsync(S3Peer.Bucket, "restart/restart.bin");
            Assert.Equal(SourceFiles.Sha256(path), Convert.ToHexStringLower(await SHA256.HashDataAsync(stored.ResponseStream)));
        }
        finally
        {
            await peer.DisposeAsync();
            if (restarted.Task.IsCompletedSuccessfully)
            {
                await (await restarted.Task).DisposeAsync();
            }
        }
    }

    private static Task<PeerProcess> StartAsync(string data) =>
        PeerProcess.StartPythonAsync("swift-s3.py", "--dir", data, "--port", "0", "--backend-port-base", "0", "--bucket", S3Peer.Bucket, "--max-lifetime-sec", "300");
}
