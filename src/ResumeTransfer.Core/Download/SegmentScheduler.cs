using System;
using System.Collections.Generic;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Hands out the ranges still to fetch, one per worker, and lets a worker that runs out of work steal the tail half of
/// the largest range another worker is still fetching, so slow connections never hold up the end of a download.
/// All segment mutation happens here, under one lock.
/// </summary>
internal sealed class SegmentScheduler
{
    /// <summary>No range is made smaller than this up front under <see cref="SegmentGrid.Default"/> (the HTTP grid).</summary>
    public static readonly long MinSegmentBytes = SegmentGrid.Default.MinimumBytes;

    // The tail given back on a full disk is cut on a page boundary, whatever the grid.
    private const long PageBytes = 4096;

    private readonly object gate = new();
    private readonly List<Segment> segments; // ordered by Start, contiguous
    private readonly long minSegmentBytes;
    private readonly long minStealBytes;
    private readonly long alignment;

    public SegmentScheduler(IEnumerable<DownloadStateSegment> saved)
        : this(saved, SegmentGrid.Default)
    {
    }

    /// <param name="saved">The ranges as the state file records them.</param>
    /// <param name="grid">
    /// How the source wants the file cut: no range below its minimum up front, split points on its alignment. A worker
    /// steals only from a range with more than twice the minimum left, so each half keeps at least the minimum.
    /// </param>
    public SegmentScheduler(IEnumerable<DownloadStateSegment> saved, SegmentGrid grid)
    {
        if (grid is null)
        {
            throw new ArgumentNullException(nameof(grid));
        }

        alignment = Math.Max(1, grid.Alignment);
        minSegmentBytes = Math.Max(alignment, grid.MinimumBytes);
        minStealBytes = 2 * minSegmentBytes;
        segments = new List<Segment>();
        foreach (var s in saved)
        {
            segments.Add(new Segment(s.Start, s.End, s.Next));
        }
    }

    /// <summary>Total of bytes written in all segments.</summary>
    public long CompletedBytes
    {
        get
        {
            lock (gate)
            {
                long total = 0;
                foreach (var segment in segments)
                {
                    total += segment.Next - segment.Start;
                }

                return total;
            }
        }
    }

    /// <summary>True when every segment is complete (an open segment is complete only after its end was found).</summary>
    public bool IsComplete
    {
        get
        {
            lock (gate)
            {
                return segments.TrueForAll(s => s.IsComplete);
            }
        }
    }

    /// <summary>Splits unfinished ranges so that about <paramref name="workers"/> of them exist, none below the grid's minimum.</summary>
    public void Rebalance(int workers)
    {
        lock (gate)
        {
            long totalRemaining = 0;
            foreach (var segment in segments)
            {
                if (segment.End is null)
                {
                    return;
                }

                totalRemaining += segment.End.Value - segment.Next;
            }

            if (totalRemaining == 0 || workers <= 1)
            {
                return;
            }

            var rebuilt = new List<Segment>(segments.Count + workers);
            foreach (var segment in segments)
            {
                rebuilt.Add(segment);
                var end = segment.End!.Value;
                var remaining = end - segment.Next;
                var share = (long)Math.Round((double)remaining * workers / totalRemaining);
                var pieces = Math.Min(Math.Max(share, 1), (remaining + minSegmentBytes - 1) / minSegmentBytes);
                var previous = segment;
                for (long k = 1; k < pieces; k++)
                {
                    var boundary = Align(segment.Next + (remaining * k / pieces));
                    if (boundary <= previous.Next)
                    {
                        // Rounded down to the piece's own start (a coarse grid: an object's parts): the next boundary up.
                        boundary += alignment;
                    }

                    if (boundary <= previous.Next || boundary >= end)
                    {
                        continue;
                    }

                    previous.End = boundary;
                    previous = new Segment(boundary, end, boundary);
                    rebuilt.Add(previous);
                }
            }

            segments.Clear();
            segments.AddRange(rebuilt);
        }
    }

    /// <summary>
    /// Gives the caller a range to fetch: an unowned unfinished one, else the stolen tail half of the largest range in
    /// progress. Null when there is nothing left worth taking (the caller's work is done).
    /// </summary>
    public Segment? TryTake()
    {
        lock (gate)
        {
            foreach (var segment in segments)
            {
                if (!segment.Owned && !segment.IsComplete)
                {
                    segment.Owned = true;
                    return segment;
                }
            }

            Segment? victim = null;
            foreach (var segment in segments)
            {
                if (segment.Owned && segment.End is not null && segment.Remaining > minStealBytes
                    && (victim is null || segment.Remaining > victim.Remaining))
                {
                    victim = segment;
                }
            }

            if (victim is null)
            {
                return null;
            }

            var from = Math.Max(victim.Next, victim.Reserved);
            var split = Align(from + (victim.Remaining / 2));
            var stolen = new Segment(split, victim.End, split) { Owned = true };
            victim.End = split;
            segments.Insert(segments.IndexOf(victim) + 1, stolen);
            return stolen;
        }
    }

    /// <summary>The caller stops working on <paramref name="segment"/> (finished, or giving up); another worker may take the rest.</summary>
    public void Release(Segment segment)
    {
        lock (gate)
        {
            segment.Owned = false;
            segment.Reserved = segment.Next;
        }
    }

    /// <summary>The bytes to fetch next for this segment: its current end (it may have shrunk) and whether it is done.</summary>
    public (long Next, long? End) Position(Segment segment)
    {
        lock (gate)
        {
            return (segment.Next, segment.End);
        }
    }

    /// <summary>
    /// Claims up to <paramref name="count"/> bytes at the segment's <see cref="Segment.Next"/> for writing; returns how many
    /// may be written (fewer, or 0, when a thief took the tail). A steal never splits inside a claim.
    /// </summary>
    public int Reserve(Segment segment, int count)
    {
        lock (gate)
        {
            var limit = segment.End is { } end ? end - segment.Next : long.MaxValue;
            var allowed = (int)Math.Max(0, Math.Min(count, limit));
            segment.Reserved = segment.Next + allowed;
            return allowed;
        }
    }

    /// <summary>Records that the claimed bytes are written.</summary>
    public void Commit(Segment segment, int count)
    {
        lock (gate)
        {
            segment.Next += count;
            segment.Reserved = segment.Next;
        }
    }

    /// <summary>
    /// When <paramref name="segment"/> is the whole file (one segment from byte 0), moves it back to byte 0 so a 200 answer
    /// can be written from the start, and returns how many written bytes that discards; otherwise returns -1.
    /// </summary>
    public long TryRewindToZero(Segment segment)
    {
        lock (gate)
        {
            if (segments.Count != 1 || segments[0] != segment || segment.Start != 0)
            {
                return -1;
            }

            var discarded = segment.Next;
            segment.Next = 0;
            segment.Reserved = 0;
            return discarded;
        }
    }

    /// <summary>The open segment of a download of unknown length reached a clean end: that is the length.</summary>
    public void CompleteOpenSegment(Segment segment)
    {
        lock (gate)
        {
            segment.End ??= segment.Next;
        }
    }

    /// <summary>
    /// The ranges a single connection that can read only from byte 0 fetches: one range over the whole file that
    /// continues at the first byte not on disk. Bytes on disk after that gap are fetched again (the same version, so
    /// the same bytes); none before it is touched.
    /// </summary>
    /// <param name="saved">The ranges as <see cref="Snapshot"/> records them: contiguous, in order, from byte 0.</param>
    /// <param name="length">The file's length.</param>
    public static List<DownloadStateSegment> FromFirstGap(IEnumerable<DownloadStateSegment> saved, long length)
    {
        var gap = length;
        foreach (var segment in saved)
        {
            if (segment.End is null || segment.Next < segment.End)
            {
                gap = segment.Next;
                break;
            }
        }

        return new List<DownloadStateSegment> { new() { Start = 0, End = length, Next = Math.Min(gap, length) } };
    }

    /// <summary>
    /// Gives back up to <paramref name="bytes"/> of the written bytes at the highest offset (they are fetched again), so
    /// the part file can be cut there to free room; returns the new end of the written data.
    /// </summary>
    public long GiveBackTail(long bytes)
    {
        lock (gate)
        {
            Segment? last = null;
            foreach (var segment in segments)
            {
                if (segment.Next > segment.Start && (last is null || segment.Next > last.Next))
                {
                    last = segment;
                }
            }

            if (last is not null)
            {
                last.Next = Math.Max(last.Start, (last.Next - bytes) / PageBytes * PageBytes);
                last.Reserved = last.Next;
            }

            long end = 0;
            foreach (var segment in segments)
            {
                if (segment.Next > segment.Start)
                {
                    end = Math.Max(end, segment.Next);
                }
            }

            return end;
        }
    }

    private long Align(long offset) => offset / alignment * alignment;

    /// <summary>
    /// The ranges as the state file records them. Complete ranges are merged into their successor (bytes before a
    /// segment's Next are all on disk either way), so the file lists little more than the ranges still open.
    /// </summary>
    public List<DownloadStateSegment> Snapshot()
    {
        lock (gate)
        {
            var result = new List<DownloadStateSegment>(segments.Count);
            long? runStart = null; // start of the complete ranges just before the current one
            foreach (var segment in segments)
            {
                var start = runStart ?? segment.Start;
                if (segment.IsComplete)
                {
                    runStart = start;
                    continue;
                }

                result.Add(new DownloadStateSegment { Start = start, End = segment.End, Next = segment.Next });
                runStart = null;
            }

            if (runStart is { } completeFrom && segments.Count > 0)
            {
                var end = segments[segments.Count - 1].End;
                result.Add(new DownloadStateSegment { Start = completeFrom, End = end, Next = end ?? completeFrom });
            }

            return result;
        }
    }
}
