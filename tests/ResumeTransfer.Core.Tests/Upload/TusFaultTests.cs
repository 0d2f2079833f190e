using System.Security.Cryptography;
using ResumeTransfer.Core.Sources.Http;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// The tus client against the test server's /tus endpoint, for answers no real tus server gives: a PATCH that stores
/// nothing, an offset mismatch followed by an impossible offset, an upload URL that leaves https.
/// </summary>
public sealed class TusFaultTests : IClassFixture<TestServerFixture>, IDisposable
{
    private const long Chunk = 64 * 1024;

    private readonly TestServerFixture fixture;
    private readonly TempDir dir = new("rt-tus-fault");
    private readonly HttpClient client = TransferHttpClientFactory.Create(2);

    public TusFaultTests(TestServerFixture fixture)
    {
        this.fixture = fixture;
    }

    private TestServerHost Server => fixture.Server;

    public void Dispose()
    {
        client.Dispose();
        dir.Dispose();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public async Task PatchThatDoesNotMoveTheOffsetIsOneFailedAttempt(int maxRetries, int expectedPatches)
    {
        var tag = TestTags.New();
        var path = SourceFiles.Create(dir.File($"stuck-{maxRetries}.bin"), (2 * Chunk) + 5);
        var request = Request(path, Server.Url($"tus?tag={tag}&fault=stuck")) with { MaxRetries = maxRetries };

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine().UploadAsync(request, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains("left Upload-Offset at 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(expectedPatches, Server.Log.ForTag(tag).Count(r => r.Method == "PATCH"));
    }

    private UploadEngine Engine(ITransferObserver? observer = null) =>
        new(client, TimeProvider.System, observer ?? new UploadTestObserver()) { PerUserStateFolder = dir.File("per-user") };

    private static UploadRequest Request(string path, Uri uri) => new()
    {
        Path = path,
        Uri = uri,
        Protocol = UploadProtocolKind.Tus,
        ChunkSize = Chunk,
        RetryInterval = TimeSpan.FromMilliseconds(1),
    };

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
