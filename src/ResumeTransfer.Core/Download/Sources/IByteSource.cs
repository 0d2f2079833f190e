using System;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>
/// Where bytes come from. The segment scheduler, state store and progress know only this interface,
/// so FTP (REST) or S3 ranged GET can be added without touching them. HTTP(S) is <c>Http.HttpByteSource</c>.
/// </summary>
public interface IByteSource : IDisposable
{
    /// <summary>The address to show and to record: no credentials, no query string.</summary>
    Uri DisplayUri { get; }

    /// <summary>Learns length, validators, range support and a suggested file name. One attempt: callers wrap it in the retry pipeline.</summary>
    Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Opens the bytes [<paramref name="offset"/>, <paramref name="endInclusive"/>] (to the end when null) of the version
    /// <paramref name="expected"/>, asking the server to send the whole entity instead if it changed (If-Range). A partial
    /// answer may start before <paramref name="offset"/> (see <see cref="RangeBody.StartOffset"/>).
    /// Throws <see cref="TransferException"/> of kind <see cref="TransferErrorKind.RemoteChanged"/> when the answer proves
    /// another version (other total, ETag or Last-Modified), <see cref="TransientTransferException"/> for what a retry
    /// may fix, and other <see cref="TransferException"/>s for what it will not.
    /// </summary>
    Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken);
}
