using System;
using System.IO;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>How the server answered a ranged request.</summary>
public enum RangeAnswer
{
    /// <summary>206: the body is exactly the bytes asked for (Content-Range already checked).</summary>
    Partial,
    /// <summary>200: the server ignored the range (or the validator failed): the body is the whole entity from byte 0.</summary>
    Whole,
    /// <summary>416: nothing to send; <see cref="RangeBody.Identity"/> carries the total from <c>Content-Range: bytes */TOTAL</c>.</summary>
    NotSatisfiable,
}

/// <summary>
/// An open response body. <see cref="Content"/> throws <see cref="TransientTransferException"/> when the body
/// ends before its promised length, the connection breaks, or no byte arrives within the stall timeout, so a
/// caller that reads to the end without an exception has every byte.
/// </summary>
public sealed class RangeBody : IDisposable
{
    private readonly IDisposable? owner;

    public RangeBody(RangeAnswer answer, long startOffset, long? length, RemoteIdentity identity, Stream content, IDisposable? owner = null)
    {
        Answer = answer;
        StartOffset = startOffset;
        Length = length;
        Identity = identity;
        Content = content;
        this.owner = owner;
    }

    /// <summary>206, 200 or 416.</summary>
    public RangeAnswer Answer { get; }

    /// <summary>
    /// The offset in the resource of the first byte of <see cref="Content"/>: 0 for <see cref="RangeAnswer.Whole"/>; for
    /// <see cref="RangeAnswer.Partial"/> the offset asked for or, when the server answered a range that starts earlier and
    /// covers it, that earlier offset (the caller skips the overlap).
    /// </summary>
    public long StartOffset { get; }

    /// <summary>How many bytes <see cref="Content"/> promises, when known.</summary>
    public long? Length { get; }

    /// <summary>The identity this response carries (may differ from the one asked for on 200).</summary>
    public RemoteIdentity Identity { get; }

    /// <summary>The body, positioned at <see cref="StartOffset"/>.</summary>
    public Stream Content { get; }

    public void Dispose()
    {
        Content.Dispose();
        owner?.Dispose();
    }
}
