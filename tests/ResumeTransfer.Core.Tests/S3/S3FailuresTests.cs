using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using ResumeTransfer.Core.S3;
using Xunit;

namespace ResumeTransfer.Core.Tests.S3;

/// <summary>The S3 error codes both directions meet, as the kinds and advice the user sees (the peers give only some of them).</summary>
public sealed class S3FailuresTests
{
    [Theory]
    // error code, status, kind, retried, says
    [InlineData("NoSuchKey", HttpStatusCode.NotFound, TransferErrorKind.NotFound, false, "no object with this key")]
    [InlineData("NoSuchBucket", HttpStatusCode.NotFound, TransferErrorKind.NotFound, false, "the bucket does not exist")]
    [InlineData("NotFound", HttpStatusCode.NotFound, TransferErrorKind.NotFound, false, "Check the bucket and key")]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, TransferErrorKind.AccessDenied, false, "refused the credentials")]
    [InlineData("SignatureDoesNotMatch", HttpStatusCode.Forbidden, TransferErrorKind.AccessDenied, false, "refused the credentials")]
    [InlineData("ExpiredToken", HttpStatusCode.BadRequest, TransferErrorKind.AccessDenied, false, "the session token has expired")]
    [InlineData("RequestExpired", HttpStatusCode.Forbidden, TransferErrorKind.AccessDenied, false, "clock is wrong")]
    [InlineData("RequestTimeTooSkewed", HttpStatusCode.Forbidden, TransferErrorKind.AccessDenied, false, "clock is wrong")]
    [InlineData("SlowDown", HttpStatusCode.ServiceUnavailable, TransferErrorKind.HttpError, true, "usually temporary")]
    [InlineData("InternalError", HttpStatusCode.InternalServerError, TransferErrorKind.HttpError, true, "usually temporary")]
    [InlineData("", HttpStatusCode.BadGateway, TransferErrorKind.HttpError, true, "usually temporary")]
    // A store that does not implement a call (a HEAD with partNumber, say) will not after a retry.
    [InlineData("NotImplemented", HttpStatusCode.NotImplemented, TransferErrorKind.HttpError, false, "S3 answered NotImplemented")]
    [InlineData("", HttpStatusCode.NotImplemented, TransferErrorKind.HttpError, false, "S3 answered 501")]
    public void ErrorCodesBecomeTheirKind(string code, HttpStatusCode status, TransferErrorKind kind, bool retried, string says)
    {
        var error = new AmazonS3Exception("message", ErrorType.Sender, code, "request-id", status);

        var mapped = Assert.IsAssignableFrom<TransferException>(S3Failures.Map(error, "Reading s3://b/k"));

        Assert.Equal(kind, mapped.Kind);
        Assert.Equal(retried, mapped is TransientTransferException);
        Assert.Contains(says, mapped.Message, StringComparison.Ordinal);
        Assert.StartsWith("Reading s3://b/k", mapped.Message, StringComparison.Ordinal);
        Assert.Equal((int)status, mapped.StatusCode);
    }
}

public sealed class S3FailuresOtherNotFoundTests
{
    [Fact]
    public void ANoSuchUploadIsNotReportedAsAMissingObject()
    {
        var error = new AmazonS3Exception("gone", ErrorType.Sender, "NoSuchUpload", "request-id", HttpStatusCode.NotFound);

        var mapped = Assert.IsAssignableFrom<TransferException>(S3Failures.Map(error, "Sending part 2"));

        Assert.Equal(TransferErrorKind.HttpError, mapped.Kind);
        Assert.DoesNotContain("Check the bucket and key", mapped.Message, StringComparison.Ordinal);
    }
}
