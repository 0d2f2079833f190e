using System.Net;
using ResumeTransfer.Core.Download.Sources.Http;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

/// <summary>One download, one content coding: the cases as a table, with responses built here.</summary>
public sealed class ContentCodingGuardTests
{
    private static readonly Uri Where = new("http://127.0.0.1/files/a.bin");

    [Theory]
    [InlineData(null, new string?[] { null, null, "identity" }, null)] // plain all along
    [InlineData("gzip", new string?[] { "gzip", "GZIP" }, null)] // stored compressed, any spelling
    [InlineData(null, new string?[] { null, "gzip" }, 1)] // a range compressed where the first answer was not
    [InlineData("gzip", new string?[] { "gzip", null }, 1)] // a plain range after compressed ones
    [InlineData("gzip", new string?[] { "br" }, 0)]
    public void EveryAnswerOfAVersionHasTheCodingOfTheFirst(string? started, string?[] later, int? refusedAt)
    {
        var observer = new RecordingObserver();
        var guard = new ContentCodingGuard(observer);
        guard.Start(Answer(started), Where);

        for (var i = 0; i < later.Length; i++)
        {
            using var response = Answer(later[i]);
            if (i == refusedAt)
            {
                var ex = Assert.Throws<TransientTransferException>(() => guard.Continue(response, Where));
                Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
                Assert.Contains("two encodings", ex.Message, StringComparison.Ordinal);
                return;
            }

            guard.Continue(response, Where);
        }

        Assert.Null(refusedAt);
        Assert.Equal(started is null ? 0 : 1, observer.Messages.Count(m => m.Level == TransferMessageLevel.Warning));
    }

    [Fact]
    public void ANewVersionMayComeInAnotherCoding()
    {
        var guard = new ContentCodingGuard(new RecordingObserver());
        guard.Start(Answer(null), Where);

        guard.Start(Answer("gzip"), Where);

        guard.Continue(Answer("gzip"), Where);
        Assert.Throws<TransientTransferException>(() => guard.Continue(Answer(null), Where));
    }

    [Fact]
    public void WithoutAStartTheFirstAnswerSetsTheCoding()
    {
        var guard = new ContentCodingGuard(new RecordingObserver());

        guard.Continue(Answer("gzip"), Where);

        Assert.Throws<TransientTransferException>(() => guard.Continue(Answer(null), Where));
    }

    private static HttpResponseMessage Answer(string? encoding)
    {
        var response = new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(new byte[10]) };
        if (encoding is not null)
        {
            response.Content.Headers.ContentEncoding.Add(encoding);
        }

        return response;
    }
}
