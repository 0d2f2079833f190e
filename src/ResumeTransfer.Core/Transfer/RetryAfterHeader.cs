using System;
using System.Net.Http;
using System.Net.Http.Headers;

namespace ResumeTransfer.Core.Transfer;

/// <summary>Reads <c>Retry-After</c> (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.</summary>
internal static class RetryAfterHeader
{
    /// <summary>How long the server asked us to wait, or null when it did not say (or said something unparsable).</summary>
    public static TimeSpan? Read(HttpResponseMessage response, DateTimeOffset now) =>
        Wait(response.Headers.RetryAfter, response.Headers.Date, now);

    /// <summary>The same from the header's text, for clients that keep headers only as strings (the AWS SDK); no server Date is known.</summary>
    public static TimeSpan? Parse(string? value, DateTimeOffset now) =>
        RetryConditionHeaderValue.TryParse(value?.Trim(), out var parsed) ? Wait(parsed, serverDate: null, now) : null;

    private static TimeSpan? Wait(RetryConditionHeaderValue? retryAfter, DateTimeOffset? serverDate, DateTimeOffset now)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            // Measured against the server's own Date when it sent one, so a skewed local clock does not turn
            // "in 30 s" into "now" or "in an hour".
            var wait = date - (serverDate ?? now);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
