using System;

namespace ResumeTransfer.Core.Transfer;

/// <summary>
/// When a <see cref="StateWriter"/> writes after a change: as soon as the time since its last write reaches
/// <paramref name="Interval"/> or the bytes reported since then reach <paramref name="ByteInterval"/>, whichever comes
/// first. The two directions differ only in these numbers.
/// </summary>
/// <param name="Interval">Time between writes; zero writes after every change.</param>
/// <param name="ByteInterval">Bytes reported with changes between writes.</param>
internal sealed record StateWriterOptions(TimeSpan Interval, long ByteInterval)
{
    /// <summary>
    /// Downloads: every second or every 8 MiB written. A checkpoint flushes the part file to disk, which is expensive,
    /// and a crash costs at most the bytes since the last one (they are fetched again).
    /// </summary>
    public static readonly StateWriterOptions Download = new(TimeSpan.FromSeconds(1), 8 * 1024 * 1024);

    /// <summary>
    /// Uploads: after every acknowledged chunk, so the state on disk lags by at most the write in progress and the one
    /// queued behind it. A chunk is worth a write: where the server cannot list its parts, a lost record is a chunk
    /// sent again.
    /// </summary>
    public static readonly StateWriterOptions Upload = new(TimeSpan.Zero, 0);
}
