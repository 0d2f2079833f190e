using System;
using System.Threading.Tasks;
using Polly;
using Polly.Retry;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// Builds the Polly pipeline every network operation runs in. Only <see cref="TransientTransferException"/> is
/// retried: the core decides what is transient where it understands the failure, and the pipeline only decides
/// when to try again (exponential back-off with jitter, or the server's Retry-After, capped).
/// </summary>
public static class RetryPipelineFactory
{
    public static ResiliencePipeline Create(RetryOptions options, TimeProvider timeProvider, ITransferObserver observer, string what)
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider };
        if (options.MaxRetries <= 0)
        {
            return builder.Build();
        }

        return builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<TransientTransferException>(),
            MaxRetryAttempts = options.MaxRetries,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = options.BaseDelay,
            MaxDelay = options.MaxDelay,
            DelayGenerator = args =>
            {
                // Retry-After is a floor set by the server: waiting less just earns another 429/503.
                TimeSpan? serverDelay = args.Outcome.Exception is TransientTransferException { RetryAfter: { } after }
                    ? (after < options.MaxRetryAfter ? after : options.MaxRetryAfter)
                    : null;
                return new ValueTask<TimeSpan?>(serverDelay);
            },
            OnRetry = args =>
            {
                observer.OnMessage(
                    TransferMessageLevel.Verbose,
                    $"{what}: attempt {args.AttemptNumber + 1} failed ({args.Outcome.Exception?.Message}); retrying in {args.RetryDelay.TotalSeconds:0.##} s.");
                return default;
            },
        }).Build();
    }
}
