namespace ResumeTransfer.Core.Download;

/// <summary>
/// A range of the file one worker fetches: [<see cref="Start"/>, <see cref="Next"/>) is written, [<see cref="Next"/>,
/// <see cref="End"/>) is to do. Mutated only by <see cref="SegmentScheduler"/> under its lock.
/// </summary>
internal sealed class Segment
{
    public Segment(long start, long? end, long next)
    {
        Start = start;
        End = end;
        Next = next;
        Reserved = next;
    }

    public long Start { get; }

    /// <summary>Exclusive end; shrinks when another worker steals the tail; null while the length is unknown.</summary>
    public long? End { get; set; }

    /// <summary>First byte not yet written.</summary>
    public long Next { get; set; }

    /// <summary>End of the bytes the owner is writing now: a steal never splits below this.</summary>
    public long Reserved { get; set; }

    /// <summary>True while a worker is fetching this segment.</summary>
    public bool Owned { get; set; }

    public bool IsComplete => End is { } end && Next >= end;

    /// <summary>Bytes still to fetch beyond what the owner is writing now (unbounded when the end is open).</summary>
    public long Remaining => End is { } end ? end - (Reserved > Next ? Reserved : Next) : long.MaxValue;
}
