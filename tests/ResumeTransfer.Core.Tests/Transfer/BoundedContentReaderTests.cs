using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>The one bounded reader for whole bodies, against a body without end and against an announced length.</summary>
public sealed class BoundedContentReaderTests : IClassFixture<TestServerFixture>, IDisposable
{
    private const int Limit = 1024 * 1024;

    private readonly TestServerFixture fixture;
    private readonly HttpClient client = TransferHttpClientFactory.Create(2);

    public BoundedContentReaderTests(TestServerFixture fixture)
    {
        this.fixture = fixture;
    }

    public void Dispose() => client.Dispose();

    [Fact]
    public async Task ChunkedBodyPastTheLimitIsAProtocolViolationNamingTheLimitAndIsNotReadOn()
    {
        await using var server = new EndlessBodyServer(200, "application/json", "[", "0,");
        using var response = await client.GetAsync(server.BaseUri, HttpCompletionOption.ResponseHeadersRead);

        var error = await Assert.ThrowsAsync<TransferException>(() => BoundedContentReader.ReadAsync(response.Content, Limit, "The answer of the test", CancellationToken.None));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
        Assert.StartsWith("The answer of the test is larger than the 1 MiB", error.Message, StringComparison.Ordinal);
        response.Dispose();
        Assert.InRange(server.BodyBytesSent, 0, 32L * 1024 * 1024);
    }

    [Fact]
    public async Task PrefixOfAChunkedBodyIsTheLimitAndSaysItIsIncomplete()
    {
        await using var server = new EndlessBodyServer(500, "text/plain", "boom", "x");
        using var response = await client.GetAsync(server.BaseUri, HttpCompletionOption.ResponseHeadersRead);

        var (bytes, complete) = await BoundedContentReader.ReadPrefixAsync(response.Content, Limit, CancellationToken.None);

        Assert.False(complete);
        Assert.Equal(Limit, bytes.Length);
        Assert.Equal("boom"u8.ToArray(), bytes[..4]);
    }

    [Theory]
    [InlineData(Limit, true)]
    [InlineData(Limit + 1, false)]
    public async Task AnnouncedLengthAboveTheLimitIsNotReadAtAll(long size, bool complete)
    {
        var tag = TestTags.New();
        using var response = await client.GetAsync(fixture.Url($"files/a.bin?size={size}&tag={tag}"), HttpCompletionOption.ResponseHeadersRead);

        var (bytes, read) = await BoundedContentReader.ReadPrefixAsync(response.Content, Limit, CancellationToken.None);

        Assert.Equal(complete, read);
        Assert.Equal(complete ? size : 0, bytes.Length);
        if (complete)
        {
            Assert.Equal(fixture.Server.Content(size), bytes);
        }
    }

    [Fact]
    public void ExcerptCutsLongTextsAndMarksTheCut()
    {
        Assert.Equal("short", BoundedContentReader.Excerpt("short"));
        var cut = BoundedContentReader.Excerpt(new string('a', 10_000));
        Assert.Equal(BoundedContentReader.ErrorTextLimit + " [...]".Length, cut.Length);
        Assert.EndsWith(" [...]", cut, StringComparison.Ordinal);
    }
}
