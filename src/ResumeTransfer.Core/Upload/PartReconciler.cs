using System;
using System.Collections.Generic;
using System.Linq;

namespace ResumeTransfer.Core.Upload;

/// <summary>Which parts of a resumed upload are kept and which are sent (again), and why.</summary>
/// <param name="Kept">Parts the server holds that provably hold this file's bytes, by number: the new journal.</param>
/// <param name="ToSend">The grid's other chunks, in order.</param>
/// <param name="Notes">Verbose messages: what was not kept, and why.</param>
internal sealed record PartReconciliation(IReadOnlyList<UploadState.PartRecord> Kept, IReadOnlyList<UploadChunk> ToSend, IReadOnlyList<string> Notes)
{
    public long SkippedBytes => Kept.Sum(p => p.Length);
}

/// <summary>
/// Reconciles the parts the server lists with the local journal and the chunk grid, for the parts protocols (S3, chunk
/// API). A pure function, in two steps because one proof reads the file: <see cref="NeedingLocalMd5"/> says which
/// parts need their local MD5, the caller computes those, and <see cref="Reconcile"/> decides.
/// </summary>
/// <remarks>
/// The server is the truth about what it holds, the journal about what we sent: a listed part is kept only when it is
/// on this upload's grid and its bytes are ours (its MD5 matches the journal's or the file's, or it has no MD5 and the
/// journal records it). A part listed more than once, with different contents, is sent again. When the server cannot
/// list its parts, the journal's parts on the grid are kept.
/// </remarks>
internal static class PartReconciler
{
    /// <summary>The listed parts whose MD5 only the file itself can confirm (acknowledged, but not journalled: a crash between the two).</summary>
    public static IReadOnlyList<int> NeedingLocalMd5(IReadOnlyList<ChunkReceipt>? listed, IReadOnlyList<UploadState.PartRecord> journal, long sourceLength, long chunkSize, bool remainderInLast = false)
    {
        if (listed is null)
        {
            return [];
        }

        var recorded = Unique(journal.Select(p => (p.Number, (p.Length, p.Md5?.ToLowerInvariant()), p)), out _);
        return Unique(listed.Select(p => (p.Number, (p.Length, p.Md5?.ToLowerInvariant()), p)), out _)
            .Where(p => p.Value.Md5 is { } md5 && IsOnGrid(p.Key, p.Value.Length, sourceLength, chunkSize, remainderInLast) && !JournalMatches(recorded, p.Key, md5))
            .Select(p => p.Key)
            .OrderBy(n => n)
            .ToList();
    }

    /// <param name="listed">What the server holds; null when it cannot list its parts.</param>
    /// <param name="journal">The parts the state file records as acknowledged.</param>
    /// <param name="sourceLength">The file's length.</param>
    /// <param name="chunkSize">The upload's chunk size.</param>
    /// <param name="localMd5">The file's MD5 (hex) of the parts <see cref="NeedingLocalMd5"/> named.</param>
    /// <param name="remainderInLast">The grid's last chunk takes the remainder (<see cref="ChunkPlanner.CountFor"/>).</param>
    public static PartReconciliation Reconcile(
        IReadOnlyList<ChunkReceipt>? listed, IReadOnlyList<UploadState.PartRecord> journal, long sourceLength, long chunkSize, IReadOnlyDictionary<int, string> localMd5,
        bool remainderInLast = false)
    {
        var notes = new List<string>();
        var recorded = Unique(journal.Select(p => (p.Number, (p.Length, p.Md5?.ToLowerInvariant()), p)), out var journalConflicts);
        var kept = new List<UploadState.PartRecord>();
        if (listed is null)
        {
            notes.Add($"The server cannot list the parts it holds; trusting the local journal of {recorded.Count} acknowledged parts.");
            kept.AddRange(recorded.Values.Where(p => IsOnGrid(p.Number, p.Length, sourceLength, chunkSize, remainderInLast)));
            notes.AddRange(journalConflicts.Select(n => $"Part {n} is recorded more than once, with different contents; sending it again."));
        }
        else
        {
            var held = Unique(listed.Select(p => (p.Number, (p.Length, p.Md5?.ToLowerInvariant()), p)), out var conflicts);
            notes.AddRange(conflicts.Select(n => $"The server lists part {n} more than once, with different contents; sending it again."));
            foreach (var part in held.Values.OrderBy(p => p.Number))
            {
                if (Keep(part, recorded, sourceLength, chunkSize, remainderInLast, localMd5, notes) is { } record)
                {
                    kept.Add(record);
                }
            }
        }

        kept.Sort((a, b) => a.Number.CompareTo(b.Number));
        var numbers = new HashSet<int>(kept.Select(p => p.Number));
        var toSend = ChunkPlanner.All(sourceLength, chunkSize, remainderInLast).Where(c => !numbers.Contains(c.Number)).ToList();
        return new PartReconciliation(kept, toSend, notes);
    }

    private static UploadState.PartRecord? Keep(
        ChunkReceipt part, Dictionary<int, UploadState.PartRecord> journal, long sourceLength, long chunkSize, bool remainderInLast, IReadOnlyDictionary<int, string> localMd5, List<string> notes)
    {
        if (!IsOnGrid(part.Number, part.Length, sourceLength, chunkSize, remainderInLast))
        {
            notes.Add($"Part {part.Number} on the server has {part.Length} bytes, not what this upload's grid needs; sending it again.");
            return null;
        }

        var chunk = ChunkPlanner.Chunk(part.Number, sourceLength, chunkSize, remainderInLast);
        journal.TryGetValue(part.Number, out var recorded);
        if (part.Md5 is not { } md5)
        {
            if (recorded is null)
            {
                notes.Add($"Part {part.Number} on the server has no checksum and is not in the local journal; sending it again.");
                return null;
            }

            // The server lists the part without a checksum; the journal proves we sent these bytes and it acknowledged them.
            return Record(chunk, recorded.Md5, part.ETag ?? recorded.ETag);
        }

        var ours = JournalMatches(journal, part.Number, md5) ||
            (localMd5.TryGetValue(part.Number, out var local) && string.Equals(local, md5, StringComparison.OrdinalIgnoreCase));
        if (!ours)
        {
            notes.Add($"Part {part.Number} on the server does not match the file (MD5 {md5}); sending it again.");
            return null;
        }

        return Record(chunk, md5.ToLowerInvariant(), part.ETag ?? recorded?.ETag);
    }

    private static UploadState.PartRecord Record(UploadChunk chunk, string? md5, string? etag) =>
        new() { Number = chunk.Number, Offset = chunk.Offset, Length = chunk.Length, Md5 = md5, ETag = etag };

    private static bool JournalMatches(Dictionary<int, UploadState.PartRecord> journal, int number, string md5) =>
        journal.TryGetValue(number, out var recorded) && recorded.Md5 is { } known && string.Equals(known, md5, StringComparison.OrdinalIgnoreCase);

    private static bool IsOnGrid(int number, long length, long sourceLength, long chunkSize, bool remainderInLast) =>
        number >= 1 && number <= ChunkPlanner.CountFor(sourceLength, chunkSize, remainderInLast) && ChunkPlanner.Chunk(number, sourceLength, chunkSize, remainderInLast).Length == length;

    /// <summary>One entry per number; a number whose entries disagree (length or MD5) is left out and named in <paramref name="conflicts"/>.</summary>
    private static Dictionary<int, T> Unique<T>(IEnumerable<(int Number, (long Length, string? Md5) Content, T Item)> entries, out List<int> conflicts)
    {
        var unique = new Dictionary<int, T>();
        var contents = new Dictionary<int, (long, string?)>();
        var disagreeing = new SortedSet<int>();
        foreach (var (number, content, item) in entries)
        {
            if (!contents.TryGetValue(number, out var seen))
            {
                contents[number] = content;
                unique[number] = item;
            }
            else if (seen != content)
            {
                disagreeing.Add(number);
            }
        }

        foreach (var number in disagreeing)
        {
            unique.Remove(number);
        }

        conflicts = disagreeing.ToList();
        return unique;
    }
}
