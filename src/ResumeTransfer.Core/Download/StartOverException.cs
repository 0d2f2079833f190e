using System;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>Why the run must stop in the middle and start another pass (all but <see cref="StartOverReason.RangesOnlyFromStart"/> discard the bytes on disk).</summary>
internal enum StartOverReason
{
    /// <summary>An answer proved another version of the resource (new ETag, Last-Modified or length, or a 416).</summary>
    RemoteChanged,

    /// <summary>The same version came back whole (200) to a ranged request: this server does not do ranges after all.</summary>
    RangesIgnored,

    /// <summary>
    /// The same version answered 416 to a range inside it: the server serves ranges from byte 0 only. Nothing is discarded:
    /// the download continues on one connection that reads from byte 0 and skips what is on disk.
    /// </summary>
    RangesOnlyFromStart,
}

/// <summary>
/// Raised by a worker to stop the run and start the download over. When it carries <see cref="Body"/> (a 200 with the
/// whole entity), the engine continues with that response from byte 0 instead of asking again; whoever catches this
/// owns the body and must dispose it.
/// </summary>
internal sealed class StartOverException : Exception
{
    public StartOverException(StartOverReason reason, string detail, RemoteIdentity? newIdentity, RangeBody? body = null)
        : base(detail)
    {
        Reason = reason;
        NewIdentity = newIdentity;
        Body = body;
    }

    public StartOverReason Reason { get; }

    /// <summary>The version the server now serves, when the answer showed it.</summary>
    public RemoteIdentity? NewIdentity { get; }

    /// <summary>An open 200 response to continue with, or null to ask again.</summary>
    public RangeBody? Body { get; private set; }

    /// <summary>
    /// Ties <paramref name="resource"/> (the token source the body's reads depend on) to the body's lifetime: it is
    /// disposed with the body by whoever ends up owning it.
    /// </summary>
    public void KeepAliveWithBody(IDisposable resource)
    {
        if (Body is { } body)
        {
            Body = new RangeBody(body.Answer, body.StartOffset, body.Length, body.Identity, body.Content, new OwnedPair(body, resource));
        }
        else
        {
            resource.Dispose();
        }
    }

    /// <summary>Hands the body to the caller, who then owns it.</summary>
    public RangeBody? TakeBody()
    {
        var body = Body;
        Body = null;
        return body;
    }

    private sealed class OwnedPair : IDisposable
    {
        private readonly IDisposable first;
        private readonly IDisposable second;

        public OwnedPair(IDisposable first, IDisposable second)
        {
            this.first = first;
            this.second = second;
        }

        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
