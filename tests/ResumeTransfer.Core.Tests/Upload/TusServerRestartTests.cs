using System.Globalization;
using System.Security.Cryptography;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.Tus;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>The tus server dies in the middle of a PATCH and comes back on the same port and store: the same run finishes.</summary>
public sealed class TusServerRestartTests : IDisposable
{
    private const long Chunk = 256 * 1024;

    private readonly TempDir dir = new("rt-tus-restart");
    private readonly HttpClient client = TransferHttpClientFactory.Create(1);

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task UploadSurvivesServerRestartMidChunk()
    {
        var store = dir.File("store");
        Directory.CreateDirectory(store);
        var peer = await StartAsync(store, 0);
        var port = peer.Url.Port;
        var restarted = new TaskCompletionSource<PeerProcess>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var length = (8 * Chunk) + 3;
            var path = SourceFiles.Create(dir.File("restart.bin"), length);
            var request = new UploadRequest
            {
                Path = path,
                Uri = peer.Url,
                Protocol = UploadProtocolKind.Tus,
                ChunkSize = Chunk,
                MaxRetries = 8,
                RetryInterval = TimeSpan.FromMilliseconds(200),
            };
            var observer = new UploadTestObserver();
            using var protocol = new InterruptingProtocol(
                new TusProtocol(client, request, observer),
                () => _ = Task.Run(async () =>
                {
                    try
                    {
                        await peer.DisposeAsync();
                        restarted.SetResult(await StartAsync(store, port));
                    }
                    catch (Exception ex)
                    {
                        restarted.SetException(ex);
                    }
                }),
                (3 * Chunk) + (Chunk / 2));

            var result = await new UploadEngine(client, TimeProvider.System, observer) { PerUserStateFolder = dir.File("per-user") }
                .UploadAsync(request, protocol, 1, CancellationToken.None);

            peer = await restarted.Task;
            using (var stored = File.OpenRead(Path.Combine(store, result.UploadUrl!.Segments[^1])))
            {
                Assert.Equal(SourceFiles.Sha256(path), Convert.ToHexStringLower(SHA256.HashData(stored)));
            }

            Assert.Contains(observer.Messages, m => m.Level == TransferMessageLevel.Verbose && m.Text.Contains("retrying", StringComparison.Ordinal));
            Assert.InRange(protocol.Transmitted - length, 0, Chunk);
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

    private static Task<PeerProcess> StartAsync(string store, int port) =>
        PeerProcess.StartNodeAsync("tus-server.mjs", "--port", port.ToString(CultureInfo.InvariantCulture), "--dir", store, "--max-lifetime-sec", "300");
}
