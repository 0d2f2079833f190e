using System;
using System.Threading;
using System.Threading.Tasks;
using Polly;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// The retry rules both directions share: one longest back-off, and one way of giving up that tells the user the
/// transferred bytes are kept and how to continue.
/// </summary>
internal static class RetryRules
{
    /// <summary>The back-off never grows beyond this, for downloads and uploads alike.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(60);

    /// <summary>The retry settings of one network operation.</summary>
    public static RetryOptions Options(int maxRetries, TimeSpan baseDelay, TimeSpan maxRetryAfter) =>
        new(maxRetries, baseDelay, MaxDelay, maxRetryAfter);

    /// <summary>The error reported when retries ran out: what failed, how often it was tried, and what is kept.</summary>
    /// <param name="failure">The last attempt's failure.</param>
    /// <param name="maxRetries">The retries the request allowed.</param>
    /// <param name="kept">What survives, as a sentence start ("The bytes already saved are kept").</param>
    public static TransferException GiveUp(TransientTransferException failure, int maxRetries, string kept)
    {
        var tried = maxRetries == 0 ? "Retrying is off (MaxRetries 0)." : $"Gave up after {maxRetries} retries.";
        return new TransferException(
            failure.Kind,
            $"{failure.Message} {tried} {kept}: run the same command with -Resume to continue.",
            failure)
        {
            StatusCode = failure.StatusCode,
        };
    }

    /// <summary>Runs <paramref name="call"/> in <paramref name="pipeline"/>; a transient failure that outlasts it is given up as above.</summary>
    public static async Task<T> RunAsync<T>(
        ResiliencePipeline pipeline, int maxRetries, string kept, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await pipeline.ExecuteAsync(
                static async (c, token) => await c(token).ConfigureAwait(false),
                call,
                cancellationToken).ConfigureAwait(false);
        }
        catch (TransientTransferException ex)
        {
            throw GiveUp(ex, maxRetries, kept);
        }
    }
}
