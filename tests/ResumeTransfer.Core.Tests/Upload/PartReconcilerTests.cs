using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>
/// The part reconciler as a table. The grid: 25 bytes in chunks of 10 = parts 1 (0-9), 2 (10-19), 3 (20-24).
/// Parts are written "number:length:md5" (md5 "-" = none); the file's own MD5 of part n is "fn".
/// </summary>
public sealed class PartReconcilerTests
{
    private const long Length = 25;
    private const long ChunkSize = 10;

    public static TheoryData<string, string?, string, string, string> Cases => new()
    {
        // case, server lists (null = cannot list), journal, -> kept, local MD5s needed
        { "fresh upload", "", "", "", "" },
        { "server and journal agree", "1:10:a 2:10:b", "1:10:a 2:10:b", "1:a 2:b", "" },
        { "MD5 mismatch with the journal and the file", "1:10:x", "1:10:a", "", "1" },
        { "acknowledged but not journalled, the file matches", "2:10:f2", "", "2:f2", "2" },
        { "acknowledged but not journalled, the file differs", "2:10:zz", "", "", "2" },
        { "no MD5 listed, journalled", "1:10:-", "1:10:a", "1:a", "" },
        { "no MD5 listed, not journalled", "1:10:-", "", "", "" },
        { "off-grid size", "1:9:a", "1:10:a", "", "" },
        { "last part off-grid size", "3:10:c", "3:5:c", "", "" },
        { "part beyond the grid", "4:10:d 0:10:e", "", "", "" },
        { "journalled but the server lost it", "2:10:b", "1:10:a 2:10:b", "2:b", "" },
        { "duplicate numbers, different contents", "1:10:a 1:10:x 2:10:b", "1:10:a 2:10:b", "2:b", "" },
        { "duplicate numbers, same contents", "1:10:a 1:10:a", "1:10:a", "1:a", "" },
        { "MD5 case differs", "1:10:A", "1:10:a", "1:a", "" },
    };

    public static TheoryData<string, string, string> Unlisted => new()
    {
        // case, journal, -> kept (the server cannot list its parts: the journal's parts on the grid are trusted)
        { "journal on the grid", "1:10:a 3:5:c", "1:a 3:c" },
        { "journal off the grid", "1:9:a 4:10:d", "" },
        { "journal with duplicate numbers", "1:10:a 1:10:x 2:10:b", "2:b" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reconciles(string name, string? listed, string journal, string kept, string needed)
    {
        var server = listed is null ? null : Receipts(listed);
        var recorded = Records(journal);

        var need = PartReconciler.NeedingLocalMd5(server, recorded, Length, ChunkSize);
        var result = PartReconciler.Reconcile(server, recorded, Length, ChunkSize, need.ToDictionary(n => n, n => $"f{n}"));

        Assert.True(string.Join(" ", need) == needed, $"{name}: needed {string.Join(" ", need)}");
        Assert.True(Describe(result.Kept) == kept, $"{name}: kept {Describe(result.Kept)}");
        AssertTheRestIsSent(result);
    }

    [Theory]
    [MemberData(nameof(Unlisted))]
    public void TrustsTheJournalWhenTheServerCannotList(string name, string journal, string kept)
    {
        var result = PartReconciler.Reconcile(null, Records(journal), Length, ChunkSize, new Dictionary<int, string>());

        Assert.True(Describe(result.Kept) == kept, $"{name}: kept {Describe(result.Kept)}");
        Assert.Empty(PartReconciler.NeedingLocalMd5(null, Records(journal), Length, ChunkSize));
        Assert.Contains(result.Notes, n => n.Contains("cannot list", StringComparison.Ordinal));
        AssertTheRestIsSent(result);
    }

    [Fact]
    public void KeptPartsTakeTheGridsOffsetsAndTheServersETag()
    {
        var result = PartReconciler.Reconcile(
            [new ChunkReceipt(3, 999, 5, null, "\"server\"")],
            [new UploadState.PartRecord { Number = 3, Offset = 20, Length = 5, Md5 = "c", ETag = "\"ours\"" }],
            Length,
            ChunkSize,
            new Dictionary<int, string>());

        var part = Assert.Single(result.Kept);
        Assert.Equal((3, 20L, 5L, "c", "\"server\""), (part.Number, part.Offset, part.Length, part.Md5, part.ETag));
        Assert.Equal(5, result.SkippedBytes);
    }

    /// <summary>Every chunk of the grid is either kept or sent, never both.</summary>
    private static void AssertTheRestIsSent(PartReconciliation result)
    {
        var kept = result.Kept.Select(p => p.Number).ToHashSet();
        Assert.Equal(new[] { 1, 2, 3 }.Where(n => !kept.Contains(n)), result.ToSend.Select(c => c.Number));
    }

    private static List<ChunkReceipt> Receipts(string text) =>
        Parse(text).Select(p => new ChunkReceipt(p.Number, (p.Number - 1) * ChunkSize, p.Length, p.Md5)).ToList();

    private static List<UploadState.PartRecord> Records(string text) =>
        Parse(text).Select(p => new UploadState.PartRecord { Number = p.Number, Offset = (p.Number - 1) * ChunkSize, Length = p.Length, Md5 = p.Md5 }).ToList();

    private static IEnumerable<(int Number, long Length, string? Md5)> Parse(string text) =>
        text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => t.Split(':')).Select(f => (int.Parse(f[0]), long.Parse(f[1]), f[2] == "-" ? null : f[2]));

    private static string Describe(IEnumerable<UploadState.PartRecord> parts) => string.Join(" ", parts.Select(p => $"{p.Number}:{p.Md5}"));
}
