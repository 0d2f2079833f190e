using System;
using System.Net.Http;

namespace ResumeTransfer.Core.Transfer;

/// <summary>Reads <c>Retry-After</c> (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.</summary>
internal static class RetryAfterHeader
{
    /// <summary>How long the server asked us to wait, or null when it did not say (or said something unparsable).</summary>
    public static TimeSpan? Read(HttpResponseMessage response, DateTimeOffset now)
    {
        var retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }

        if (retryAfter?.Date is { } date)
        {
            // Measured against the server's own Date when it sent one, so a skewed local clock does not turn
            // "in 30 s" into "now" or "in an hour".
            var wait = date - (response.Headers.Date ?? now);
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }

        return null;
    }
}
