using System;

namespace ResumeTransfer.Core;

/// <summary>
/// A failure the user can act on. <see cref="Exception.Message"/> says what happened and what to do;
/// <see cref="Kind"/> is the stable identity the cmdlets publish as ErrorId.
/// </summary>
public class TransferException : Exception
{
    public TransferException(TransferErrorKind kind, string message, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
    }

    /// <summary>The stable category of this failure.</summary>
    public TransferErrorKind Kind { get; }

    /// <summary>The HTTP status that caused it, when there was one.</summary>
    public int? StatusCode { get; init; }
}

/// <summary>
/// A failure worth retrying (reset, short body, stall, 5xx, 429). The retry pipeline handles only this type;
/// when retries run out it surfaces as a <see cref="TransferException"/> of <see cref="TransferException.Kind"/>.
/// </summary>
public sealed class TransientTransferException : TransferException
{
    public TransientTransferException(TransferErrorKind kind, string message, Exception? inner = null, TimeSpan? retryAfter = null)
        : base(kind, message, inner)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>The server's Retry-After, when it sent one: the retry waits at least this long (capped).</summary>
    public TimeSpan? RetryAfter { get; }
}
