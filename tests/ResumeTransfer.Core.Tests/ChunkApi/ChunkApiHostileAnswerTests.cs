using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Transfer;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>
/// Chunk API answers without end (400 MiB of JSON, chunked, no Content-Length): read only up to the answer limit.
/// Before, the client read every byte into memory.
/// </summary>
public sealed class ChunkApiHostileAnswerTests : IDisposable
{
    private readonly TempDir dir = new("rt-chunk-hostile");
    private readonly HttpClient client = TransferHttpClientFactory.Create(2);

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Fact]
    public async Task StatusAnswerWithoutEndIsAProtocolViolationNamingTheLimit()
    {
        await using var server = new EndlessBodyServer(200, "application/json", "{\"received\":[", "0,");
        var (protocol, session, source) = Open(server);
        using (protocol)
        {
            var error = await Assert.ThrowsAsync<TransferException>(() => protocol.GetStatusAsync(session, source, CancellationToken.None));

            Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
            Assert.Contains("larger than the 4 MiB", error.Message, StringComparison.Ordinal);
        }

        Assert.InRange(server.BodyBytesSent, 0, 64L * 1024 * 1024);
    }

    [Fact]
    public async Task ErrorAnswerWithoutEndIsJudgedByItsStatusAlone()
    {
        await using var server = new EndlessBodyServer(503, "application/json", "{\"error\":\"busy\",\"message\":\"", "x");
        var (protocol, session, source) = Open(server);
        using (protocol)
        {
            var error = await Assert.ThrowsAsync<TransientTransferException>(
                () => protocol.SendChunkAsync(session, source, new UploadChunk(1, 0, source.Length), null, CancellationToken.None));

            Assert.Equal(TransferErrorKind.HttpError, error.Kind);
            Assert.Equal(503, error.StatusCode);
            Assert.True(error.Message.Length < 2000, "the message holds no server text it could not read whole");
        }

        Assert.InRange(server.BodyBytesSent, 0, 64L * 1024 * 1024);
    }

    private (ChunkApiProtocol Protocol, UploadSession Session, UploadSource Source) Open(EndlessBodyServer server)
    {
        var path = SourceFiles.Create(dir.File("small.bin"), 1000);
        var request = new UploadRequest { Path = path, Uri = new Uri(server.BaseUri, "chunks"), Protocol = UploadProtocolKind.ChunkApi };
        var protocol = new ChunkApiProtocol(client, request, new RecordingObserver());
        var session = new UploadSession
        {
            UploadId = ChunkApiProtocol.NewUploadId(),
            ChunkSize = 1000,
            Properties = new Dictionary<string, string> { ["filename"] = "small.bin" },
        };
        return (protocol, session, new UploadSource(path, SourceFingerprint.Compute(path)));
    }
}
