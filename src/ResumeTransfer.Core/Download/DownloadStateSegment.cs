namespace ResumeTransfer.Core.Download;

/// <summary>
/// One range of the part file as recorded in the state file: bytes [<see cref="Start"/>, <see cref="Next"/>) are on
/// disk (flushed before this record was written), bytes [<see cref="Next"/>, <see cref="End"/>) are still to fetch.
/// </summary>
internal sealed class DownloadStateSegment
{
    public long Start { get; set; }

    /// <summary>Exclusive end; null only for the single open segment of a download of unknown length.</summary>
    public long? End { get; set; }

    public long Next { get; set; }
}
