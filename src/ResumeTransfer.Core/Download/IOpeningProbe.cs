using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// A source that learns what <see cref="IByteSource.ProbeAsync"/> learns from the first data request itself, so a
/// fresh download costs one round trip less: it asks for the whole resource from byte 0 and hands back the open answer.
/// The engine uses it only when nothing on disk has to be compared with the server before the first byte is read
/// (a fresh download, or a folder target whose name the answer gives); a source without it is probed as before.
/// </summary>
internal interface IOpeningProbe
{
    /// <summary>
    /// Asks for the bytes from 0 to the end with no validator (nothing is known yet). The probe is what the answer
    /// says (206: ranges supported, total from Content-Range; 200: no ranges, length from Content-Length if any;
    /// 416: an empty resource); the body is its open, unread answer (with the same checks as
    /// <see cref="IByteSource.OpenRangeAsync"/>), which the caller owns and must dispose. One attempt: callers wrap
    /// it in the retry pipeline.
    /// </summary>
    Task<OpenedProbe> ProbeByOpeningAsync(CancellationToken cancellationToken);
}

/// <summary>What <see cref="IOpeningProbe.ProbeByOpeningAsync"/> learned, and the answer it opened.</summary>
/// <param name="Probe">Length, validators, range support and suggested name, as from <see cref="IByteSource.ProbeAsync"/>.</param>
/// <param name="Body">The open answer to <c>Range: bytes=0-</c>, not yet read; owned by the receiver.</param>
internal sealed record OpenedProbe(SourceProbe Probe, RangeBody Body);
