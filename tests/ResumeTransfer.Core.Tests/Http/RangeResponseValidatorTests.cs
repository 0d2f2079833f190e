using System.Net;
using ResumeTransfer.Core.Sources;
using ResumeTransfer.Core.Sources.Http;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

/// <summary>
/// Each 206 check on its own, with responses built here, including answers the test server never gives
/// (start wrong but end right, two Content-Ranges, lying Content-Length).
/// </summary>
public sealed class RangeResponseValidatorTests
{
    private static readonly Uri Where = new("http://127.0.0.1/files/a.bin");
    private static readonly DateTimeOffset Modified = new(2020, 1, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly RemoteIdentity Expected = new(100, "\"v1\"", Modified, true);

    [Fact]
    public void MatchingRangeIsAccepted()
    {
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        var (range, identity) = RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where);
        Assert.Equal(10L, range.First);
        Assert.Equal(10L, range.RangeLength);
        Assert.Equal(new RemoteIdentity(100, "\"v1\"", Modified, true), identity);
    }

    [Fact]
    public void OpenEndedRangeMustRunToTheLastByte()
    {
        using var ok = Partial("bytes 10-99/100", bodyLength: 90);
        Assert.Equal(99L, RangeResponseValidator.ValidatePartial(ok, 10, null, Expected, Where).Range.Last);

        using var shorter = Partial("bytes 10-49/100", bodyLength: 40);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(shorter, 10, null, Expected, Where));
    }

    [Fact]
    public void WrongStartIsATransientViolationEvenWhenTheEndMatches()
    {
        using var response = Partial("bytes 11-19/100", bodyLength: 9);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Fact]
    public void WrongEndIsATransientViolation()
    {
        using var response = Partial("bytes 10-29/100", bodyLength: 20);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Fact]
    public void EndPastTheTotalIsCutAtTheLastByte()
    {
        using var response = Partial("bytes 90-99/100", bodyLength: 10);
        Assert.Equal(99L, RangeResponseValidator.ValidatePartial(response, 90, 500, Expected, Where).Range.Last);
    }

    [Fact]
    public void ContentLengthThatDisagreesWithTheRangeIsATransientViolation()
    {
        using var response = Partial("bytes 10-19/100", bodyLength: 11);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("bytes */100")]
    [InlineData("bytes 10-19")]
    [InlineData("bytes 10-19/100, bytes 20-29/100")]
    public void MissingOrMalformedContentRangeIsATransientViolation(string? contentRange)
    {
        using var response = Partial(contentRange, bodyLength: 10);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Fact]
    public void TwoContentRangeHeadersAreATransientViolation()
    {
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        response.Content.Headers.TryAddWithoutValidation("Content-Range", "bytes 10-19/100");
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Fact]
    public void UnknownTotalKeepsTheExpectedLength()
    {
        using var response = Partial("bytes 10-19/*", bodyLength: 10);
        Assert.Equal(100L, RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where).Identity.Length);
    }

    [Theory]
    [InlineData("bytes 10-19/101", "\"v1\"", 0)]
    [InlineData("bytes 10-19/100", "\"v2\"", 0)]
    [InlineData("bytes 10-19/100", "\"v1\"", 1)]
    public void AnotherVersionIsRemoteChanged(string contentRange, string etag, int secondsLater)
    {
        using var response = Partial(contentRange, bodyLength: 10, etag: etag, lastModified: Modified.AddSeconds(secondsLater));
        var ex = Assert.Throws<TransferException>(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
        Assert.IsNotType<TransientTransferException>(ex);
        Assert.Equal(TransferErrorKind.RemoteChanged, ex.Kind);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public void EncodedRangeIsAFinalViolation(string encoding)
    {
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        response.Content.Headers.ContentEncoding.Add(encoding);
        var ex = Assert.Throws<TransferException>(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
        Assert.IsNotType<TransientTransferException>(ex);
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
    }

    [Fact]
    public void IdentityEncodingIsFine()
    {
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        response.Content.Headers.ContentEncoding.Add("identity");
        Assert.Equal(10L, RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where).Range.RangeLength);
    }

    private static void AssertTransientViolation(Action validate)
    {
        var ex = Assert.Throws<TransientTransferException>(validate);
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
    }

    private static HttpResponseMessage Partial(string? contentRange, int bodyLength, string etag = "\"v1\"", DateTimeOffset? lastModified = null)
    {
        var response = new HttpResponseMessage(HttpStatusCode.PartialContent) { Content = new ByteArrayContent(new byte[bodyLength]) };
        if (contentRange is not null)
        {
            response.Content.Headers.TryAddWithoutValidation("Content-Range", contentRange);
        }

        response.Headers.TryAddWithoutValidation("ETag", etag);
        response.Headers.Date = DateTimeOffset.UtcNow;
        response.Content.Headers.LastModified = lastModified ?? Modified;
        return response;
    }
}
