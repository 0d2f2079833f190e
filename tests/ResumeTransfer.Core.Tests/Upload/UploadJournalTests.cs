using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

public sealed class UploadJournalTests : IDisposable
{
    private readonly TempDir dir = new("rt-journal");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void FlushLeavesTheNewestRecordOnDisk()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using (var journal = new UploadJournal(store))
        {
            for (var i = 1; i <= 200; i++)
            {
                journal.Record(Json(acknowledged: i));
            }

            journal.Flush();
        }

        Assert.Equal(200, store.Load()!.AcknowledgedOffset);
        Assert.False(File.Exists(store.StatePath + ".tmp"));
    }

    [Fact]
    public void ARecordIsWrittenWithoutAFlush()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store);
        try
        {
            journal.Record(Json(acknowledged: 7));

            // The writer thread writes on its own: a crash before any flush still finds this record.
            Assert.True(SpinWait.SpinUntil(() => File.Exists(store.StatePath), TimeSpan.FromSeconds(10)), "the state was not written within 10 s");
            Assert.Equal(7, store.Load()!.AcknowledgedOffset);
        }
        finally
        {
            journal.Flush();
        }
    }

    [Fact]
    public void AFailedBackgroundWriteSurfacesAtTheNextRecordAndAtTheFlush()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store);

        // A directory where the temporary state file must go: the write cannot create it.
        Directory.CreateDirectory(store.StatePath + ".tmp");
        journal.Record(Json(acknowledged: 1));

        // Once the writer thread has failed, the next record says so, and so does the flush.
        Assert.True(
            SpinWait.SpinUntil(() => Throws<UnauthorizedAccessException>(() => journal.Record(Json(acknowledged: 2))), TimeSpan.FromSeconds(10)),
            "the failed write did not surface at a later record within 10 s");
        Assert.Throws<UnauthorizedAccessException>(() => journal.Flush());
        Assert.False(File.Exists(store.StatePath));
    }

    [Fact]
    public void AFailedWriteSurfacesAtTheFlushWhoeverWroteIt()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store);
        Directory.CreateDirectory(store.StatePath + ".tmp");
        journal.Record(Json(acknowledged: 1));

        // Whether the writer thread or the flush itself tried the write, the flush reports the failure.
        Assert.Throws<UnauthorizedAccessException>(() => journal.Flush());
    }

    [Fact]
    public void NothingIsRecordedAfterTheLastFlush()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store);
        journal.Flush();

        Assert.Throws<InvalidOperationException>(() => journal.Record(Json(acknowledged: 1)));
        Assert.False(File.Exists(store.StatePath));
    }

    private static string Json(long acknowledged) => new UploadState
    {
        Protocol = UploadProtocolKind.Tus,
        Target = "http://127.0.0.1/files",
        SourcePath = "/data/a.bin",
        UploadUrl = "http://127.0.0.1/files/1",
        ChunkSize = 1,
        AcknowledgedOffset = acknowledged,
    }.ToJson();

    private static bool Throws<T>(Action action)
        where T : Exception
    {
        try
        {
            action();
            return false;
        }
        catch (T)
        {
            return true;
        }
    }
}
