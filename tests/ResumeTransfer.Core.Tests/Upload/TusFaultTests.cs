using System.Security.Cryptography;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
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

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 3)]
    public async Task OffsetMismatchIsResolvedByTheEngineRetryNotByALoopInTheProtocol(int maxRetries, int expectedPatches)
    {
        var tag = TestTags.New();
        var path = SourceFiles.Create(dir.File($"conflict-{maxRetries}.bin"), Chunk + 5);
        var request = Request(path, Server.Url($"tus?tag={tag}&fault=conflict")) with { MaxRetries = maxRetries };

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine().UploadAsync(request, 1, CancellationToken.None));

        Assert.Equal(409, error.StatusCode);
        var log = Server.Log.ForTag(tag);
        Assert.Equal(expectedPatches, log.Count(r => r.Method == "PATCH"));

        // Every retry asks for the server's offset before it sends again.
        Assert.Equal(expectedPatches - 1, log.Count(r => r.Method == "HEAD"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("99999999999999999999")]
    [InlineData("1000000")]
    public async Task OffsetAfterAConflictIsRangeChecked(string headOffset)
    {
        var tag = TestTags.New();
        var path = SourceFiles.Create(dir.File("range.bin"), Chunk + 5);
        var request = Request(path, Server.Url($"tus?tag={tag}&fault=conflict&headoffset={Uri.EscapeDataString(headOffset)}")) with { MaxRetries = 3 };

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine().UploadAsync(request, 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.Contains(headOffset == "1000000" ? "more than the" : "which is not a byte count", error.Message, StringComparison.Ordinal);
        var log = Server.Log.ForTag(tag);
        Assert.Equal(1, log.Count(r => r.Method == "PATCH"));
        Assert.Equal(1, log.Count(r => r.Method == "HEAD"));
    }

    [Fact]
    public async Task UploadUrlOnPlainHttpAnnouncedOverHttpsIsRefused()
    {
        var tag = TestTags.New();
        var path = SourceFiles.Create(dir.File("secure.bin"), Chunk + 3);
        var endpoint = HttpsEndpointAnnouncingHttp(tag);
        using var trusting = TrustingTheTestCertificate();

        var error = await Assert.ThrowsAsync<TransferException>(() => Engine(trusting).UploadAsync(Request(path, endpoint), 1, CancellationToken.None));

        Assert.Equal(TransferErrorKind.InsecureRedirect, error.Kind);
        Assert.Contains("-AllowInsecureRedirect", error.Message, StringComparison.Ordinal);
        var log = Server.Log.ForTag(tag);
        Assert.Contains(log, r => r.Method == "POST" && r.Listener == LoggedRequest.SecureListener);
        Assert.DoesNotContain(log, r => r.Listener != LoggedRequest.SecureListener);
    }

    [Fact]
    public async Task UploadUrlOnPlainHttpIsUsedWhenAllowed()
    {
        var tag = TestTags.New();
        var path = SourceFiles.Create(dir.File("allowed.bin"), Chunk + 3);
        var endpoint = HttpsEndpointAnnouncingHttp(tag);
        using var trusting = TrustingTheTestCertificate();

        var result = await Engine(trusting).UploadAsync(Request(path, endpoint) with { AllowInsecureRedirect = true }, 1, CancellationToken.None);

        Assert.Equal(Uri.UriSchemeHttp, result.UploadUrl!.Scheme);
        Assert.Equal(SourceFiles.Sha256(path), Sha256(Server.TusStored(result.UploadUrl)!));
        Assert.All(Server.Log.ForTag(tag).Where(r => r.Method == "PATCH"), r => Assert.Equal(LoggedRequest.BaseListener, r.Listener));
    }

    /// <summary>The tus endpoint on the https listener whose upload URLs are on the plain http one.</summary>
    private Uri HttpsEndpointAnnouncingHttp(string tag) =>
        Server.SecureUrl($"tus?tag={tag}&locationbase={Uri.EscapeDataString(Server.Url("tus/").AbsoluteUri)}");

    private HttpClient TrustingTheTestCertificate()
    {
        var thumbprint = Server.Certificate.Thumbprint;
        return new HttpClient(new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate?.Thumbprint == thumbprint,
        });
    }

    private UploadEngine Engine(HttpClient http) => new(http, TimeProvider.System, new UploadTestObserver()) { PerUserStateFolder = dir.File("per-user") };

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
