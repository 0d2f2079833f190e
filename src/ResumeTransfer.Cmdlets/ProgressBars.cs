using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// One progress bar per transfer (ActivityId = transfer id + 1) under a parent bar (ActivityId 0) once an
/// invocation has more than one transfer. Keeps the latest snapshot of each bar and writes a bar at most every
/// <see cref="MinimumInterval"/>, because rendering progress is far slower than producing it. Called on the
/// pipeline thread only.
/// </summary>
internal sealed class ProgressBars
{
    /// <summary>About 4 updates a second per bar.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(250);

    public const int ParentActivityId = 0;

    private readonly Action<ProgressRecord> write;
    private readonly TimeProvider time;
    private readonly string verb;
    private readonly Dictionary<int, Bar> bars = new();
    private int started;
    private int finished;
    private bool parentOpen;
    private bool parentDirty;
    private long parentWrittenAt;

    /// <param name="write">Writes one record (the cmdlet's WriteProgress).</param>
    /// <param name="time">The clock that throttles the writes.</param>
    /// <param name="verb">What the transfers do, first word of every activity: "Downloading", "Uploading".</param>
    public ProgressBars(Action<ProgressRecord> write, TimeProvider time, string verb = "Downloading")
    {
        this.write = write;
        this.time = time;
        this.verb = verb;
    }

    /// <summary>Shows a new bar at once, so a slow server still gets immediate feedback.</summary>
    public void Start(int transferId, string name)
    {
        started++;
        var bar = new Bar(transferId, string.IsNullOrEmpty(name) ? "file" : name);
        bars[transferId] = bar;
        if (started > 1)
        {
            if (!parentOpen)
            {
                // Bars written before there was a parent move under it on their next write.
                foreach (var earlier in bars.Values)
                {
                    earlier.Dirty = true;
                }
            }

            parentOpen = true;
            parentDirty = true;
        }

        WriteParentIfDue(force: true);
        WriteBar(bar);
    }

    /// <summary>Records the latest snapshot; writes it now only when the bar's interval has passed.</summary>
    public void Update(TransferProgress progress)
    {
        if (!bars.TryGetValue(progress.Id, out var bar))
        {
            return;
        }

        bar.Latest = progress;
        if (!string.IsNullOrEmpty(progress.Name))
        {
            bar.Name = progress.Name;
        }

        bar.Dirty = true;
        parentDirty = parentOpen;
        if (IsDue(bar.WrittenAt))
        {
            WriteBar(bar);
        }

        WriteParentIfDue(force: false);
    }

    /// <summary>Writes the pending snapshots whose interval has passed.</summary>
    public void FlushDue()
    {
        foreach (var bar in bars.Values)
        {
            if (bar.Dirty && IsDue(bar.WrittenAt))
            {
                WriteBar(bar);
            }
        }

        WriteParentIfDue(force: false);
    }

    /// <summary>How long until some pending snapshot may be written (the pump's wait).</summary>
    public TimeSpan UntilNextFlush()
    {
        var wait = MinimumInterval;
        foreach (var bar in bars.Values.Where(b => b.Dirty))
        {
            var left = MinimumInterval - time.GetElapsedTime(bar.WrittenAt);
            if (left < wait)
            {
                wait = left;
            }
        }

        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    /// <summary>Ends one transfer's bar with a Completed record (whatever its outcome).</summary>
    public void Complete(int transferId)
    {
        if (!bars.TryGetValue(transferId, out var bar))
        {
            return;
        }

        bars.Remove(transferId);
        finished++;
        parentDirty = parentOpen;
        write(new ProgressRecord(ActivityIdOf(transferId), Activity(bar.Name), "Done")
        {
            ParentActivityId = ChildParentId,
            RecordType = ProgressRecordType.Completed,
        });
        WriteParentIfDue(force: bars.Count == 0);
    }

    /// <summary>Ends every bar still open, then the parent. For finally blocks: safe to call more than once.</summary>
    public void CompleteAll()
    {
        foreach (var id in bars.Keys.ToList())
        {
            Complete(id);
        }

        if (parentOpen)
        {
            parentOpen = false;
            write(new ProgressRecord(ParentActivityId, ParentActivity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    private static int ActivityIdOf(int transferId) => transferId + 1;

    private string Activity(string name) => verb + " " + name;

    private int ChildParentId => started > 1 ? ParentActivityId : -1;

    private string ParentActivity => string.Format(CultureInfo.CurrentCulture, "{0} {1} files", verb, started);

    private bool IsDue(long writtenAt) => writtenAt == 0 || time.GetElapsedTime(writtenAt) >= MinimumInterval;

    // Records are built anew for every write: hosts and PSDataCollection keep the instances they are given, so
    // mutating one already written would rewrite history (and make every entry in ps.Streams.Progress alike).
    private void WriteBar(Bar bar)
    {
        bar.Dirty = false;
        bar.WrittenAt = Math.Max(1, time.GetTimestamp());
        var record = new ProgressRecord(ActivityIdOf(bar.Id), Activity(bar.Name), Status(bar.Latest))
        {
            ParentActivityId = ChildParentId,
            PercentComplete = Percent(bar.Latest),
            SecondsRemaining = SecondsRemaining(bar.Latest),
        };
        if (bar.Latest is { Phase: TransferPhase.Transferring, ActiveConnections: > 0 } p)
        {
            record.CurrentOperation = p.ActiveConnections == 1 ? "1 connection" : p.ActiveConnections.ToString(CultureInfo.CurrentCulture) + " connections";
        }

        write(record);
    }

    private void WriteParentIfDue(bool force)
    {
        if (!parentOpen || !parentDirty || (!force && !IsDue(parentWrittenAt)))
        {
            return;
        }

        parentDirty = false;
        parentWrittenAt = Math.Max(1, time.GetTimestamp());
        var speed = bars.Values.Sum(b => b.Latest?.BytesPerSecond ?? 0);
        var status = string.Format(CultureInfo.CurrentCulture, "{0} of {1} done at {2}/s", finished, started, ByteSizeText.Scaled(speed));
        write(new ProgressRecord(ParentActivityId, ParentActivity, status)
        {
            PercentComplete = started == 0 ? 0 : Math.Min(100, finished * 100 / started),
        });
    }

    private static string Status(TransferProgress? p)
    {
        if (p is null || p.Phase == TransferPhase.Probing)
        {
            return "Connecting";
        }

        if (p.Phase == TransferPhase.Verifying)
        {
            return "Verifying " + ByteSizeText.InMiB(p.CompletedBytes);
        }

        var done = ByteSizeText.InMiB(p.CompletedBytes);
        var speed = ByteSizeText.Scaled(p.BytesPerSecond);
        return p.TotalBytes is { } total
            ? string.Format(CultureInfo.CurrentCulture, "{0} of {1} at {2}/s", done, ByteSizeText.InMiB(total), speed)
            : string.Format(CultureInfo.CurrentCulture, "{0} at {1}/s", done, speed);
    }

    private static int Percent(TransferProgress? p)
    {
        if (p is not { TotalBytes: > 0 } known)
        {
            return -1;
        }

        var percent = known.CompletedBytes * 100 / known.TotalBytes.Value;
        return (int)Math.Max(0, Math.Min(100, percent));
    }

    private static int SecondsRemaining(TransferProgress? p)
    {
        if (p is not { TotalBytes: { } total, BytesPerSecond: > 0 } known || known.Phase != TransferPhase.Transferring)
        {
            return -1;
        }

        var seconds = Math.Max(0, total - known.CompletedBytes) / known.BytesPerSecond;
        return seconds >= int.MaxValue ? -1 : (int)Math.Ceiling(seconds);
    }

    private sealed class Bar
    {
        public Bar(int id, string name)
        {
            Id = id;
            Name = name;
        }

        public int Id { get; }

        public string Name { get; set; }

        public TransferProgress? Latest { get; set; }

        public bool Dirty { get; set; }

        /// <summary>TimeProvider timestamp of the last write; 0 = never written.</summary>
        public long WrittenAt { get; set; }
    }
}
