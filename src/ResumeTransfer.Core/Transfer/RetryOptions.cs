using System;

namespace ResumeTransfer.Core.Transfer;

/// <summary>How hard to try again. Shared by downloads and uploads.</summary>
/// <param name="MaxRetries">Retries after the first attempt; 0 turns retrying off.</param>
/// <param name="BaseDelay">First back-off delay; it doubles each retry, with jitter.</param>
/// <param name="MaxDelay">No back-off delay is longer than this.</param>
/// <param name="MaxRetryAfter">A server's Retry-After is honoured up to this long.</param>
public sealed record RetryOptions(int MaxRetries, TimeSpan BaseDelay, TimeSpan MaxDelay, TimeSpan MaxRetryAfter);
