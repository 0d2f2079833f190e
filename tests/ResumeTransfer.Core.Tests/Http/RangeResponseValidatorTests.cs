using System.Net;
using ResumeTransfer.Core.Download.Sources;
using ResumeTransfer.Core.Download.Sources.Http;
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
    [InlineData("gzip", 7L)]
    [InlineData("br", 7L)]
    [InlineData("gzip", 11L)]
    [InlineData("gzip", null)]
    public void EncodedRangeWhoseLengthIsNotTheRangesIsAFinalViolation(string encoding, long? contentLength)
    {
        // Compressed on the fly: the body is not the range's bytes, and without a Content-Length nothing proves it is.
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        response.Content.Headers.ContentEncoding.Add(encoding);
        response.Content.Headers.ContentLength = contentLength;
        var ex = Assert.Throws<TransferException>(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
        Assert.IsNotType<TransientTransferException>(ex);
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Contains(encoding, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public void EncodedRangeOfAnObjectStoredEncodedIsAccepted(string encoding)
    {
        // Stored compressed: the range counts the encoded bytes, and Content-Length is exactly the range's length.
        using var response = Partial("bytes 10-19/100", bodyLength: 10);
        response.Content.Headers.ContentEncoding.Add(encoding);
        Assert.Equal(10L, RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where).Range.RangeLength);
    }

    [Theory]
    [InlineData("bytes 0-19/100", 20, 10L, 19L, 0L)]
    [InlineData("bytes 5-19/100", 15, 10L, 19L, 5L)]
    [InlineData("bytes 9-99/100", 91, 10L, null, 9L)]
    public void RangeThatStartsBeforeTheOffsetAndCoversItIsAccepted(string contentRange, int bodyLength, long offset, long? end, long first)
    {
        using var response = Partial(contentRange, bodyLength);
        Assert.Equal(first, RangeResponseValidator.ValidatePartial(response, offset, end, Expected, Where).Range.First);
    }

    [Fact]
    public void RangeThatStartsBeforeTheOffsetButEndsShortIsATransientViolation()
    {
        using var response = Partial("bytes 0-15/100", bodyLength: 16);
        AssertTransientViolation(() => RangeResponseValidator.ValidatePartial(response, 10, 19, Expected, Where));
    }

    [Theory]
    [InlineData("bytes 0-9223372036854775807/*", 0L, null)]
    [InlineData("bytes 9223372036854775807-9223372036854775807/9223372036854775807", 9223372036854775807L, null)]
    [InlineData("bytes 9223372036854775806-9223372036854775806/9223372036854775807", 9223372036854775806L, null)]
    [InlineData("bytes 0-9223372036854775806/9223372036854775807", 0L, null)]
    [InlineData("bytes 0-0/9223372036854775807", 0L, 0L)]
    [InlineData("bytes 0-9007199254740992/*", 0L, null)]
    [InlineData("bytes 9007199254740992-9007199254740993/*", 9007199254740992L, 9007199254740993L)]
    [InlineData("bytes 0-0/9007199254740993", 0L, 0L)]
    [InlineData("bytes 4611686018427387904-9223372036854775806/9223372036854775807", 4611686018427387904L, null)]
    [InlineData("bytes 0-99999999999999999999/*", 0L, null)]
    public void ImpossibleLengthsAreAProtocolViolationNeverAnOverflow(string contentRange, long offset, long? end)
    {
        // No Content-Length: only the header's numbers decide (a chunked answer).
        using var response = Partial(contentRange, bodyLength: 1);
        response.Content.Headers.ContentLength = null;
        var ex = Assert.ThrowsAny<TransferException>(() => RangeResponseValidator.ValidatePartial(response, offset, end, null, Where));
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Contains("Content-Range", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(9007199254740993L)]
    [InlineData(long.MaxValue)]
    public void ImpossibleLengthsElsewhereAreAProtocolViolation(long length)
    {
        var ex = Assert.Throws<TransferException>(() => RangeResponseValidator.CheckLength(length, "Content-Length", Where, 200));
        Assert.Equal(TransferErrorKind.ProtocolViolation, ex.Kind);
        Assert.Contains("Content-Length", ex.Message, StringComparison.Ordinal);
        Assert.Equal(RangeResponseValidator.MaxLength, RangeResponseValidator.CheckLength(RangeResponseValidator.MaxLength, "Content-Length", Where, 200));
        Assert.Null(RangeResponseValidator.CheckLength(null, "Content-Length", Where, 200));
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
