using System.Net;
using System.Net.Http.Headers;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

public class RetryAfterHeaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ReadsDelaySeconds()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.TryAddWithoutValidation("Retry-After", "120");
        Assert.Equal(TimeSpan.FromSeconds(120), RetryAfterHeader.Read(response, Now));
    }

    [Fact]
    public void ReadsHttpDateAgainstTheServersDate()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.TryAddWithoutValidation("Retry-After", "Wed, 25 Nov 2026 10:01:30 GMT");
        response.Headers.Date = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero); // server clock 2 h behind ours
        Assert.Equal(TimeSpan.FromSeconds(90), RetryAfterHeader.Read(response, Now));
    }

    [Fact]
    public void ReadsHttpDateAgainstNowWithoutServerDate()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddSeconds(45));
        Assert.Equal(TimeSpan.FromSeconds(45), RetryAfterHeader.Read(response, Now));
    }

    [Fact]
    public void DateInThePastMeansNoWait()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(-5));
        Assert.Equal(TimeSpan.Zero, RetryAfterHeader.Read(response, Now));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("soon")]
    [InlineData("-5")]
    public void MissingOrUnparsableIsNull(string? value)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        if (value is not null)
        {
            response.Headers.TryAddWithoutValidation("Retry-After", value);
        }

        Assert.Null(RetryAfterHeader.Read(response, Now));
    }
}
