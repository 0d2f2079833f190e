using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

public sealed class UploadJournalTests : IDisposable
{
    private readonly TempDir dir = new("rt-journal");

    // What the journal's snapshot serializes: the upload's acknowledged offset as the test sets it.
    private long acknowledged;

    public void Dispose() => dir.Dispose();

    [Fact]
    public void FlushLeavesTheNewestRecordOnDisk()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using (var journal = new UploadJournal(store, Snapshot))
        {
            for (var i = 1; i <= 200; i++)
            {
                Acknowledge(i);
                journal.Record();
            }

            journal.Flush();
        }

        Assert.Equal(200, store.Load()!.AcknowledgedOffset);
        Assert.False(File.Exists(store.StatePath + ".tmp"));
    }

    [Fact]
    public void RecordsThatArriveDuringAWriteAreSerializedOnceForTheNextWrite()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var calls = 0;
        string Slow()
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                entered.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }

            return Snapshot();
        }

        using (var journal = new UploadJournal(store, Slow))
        {
            Acknowledge(1);
            journal.Record();
            Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the writer thread did not start a write within 10 s");

            // 99 more records while the first write is held: they make one more write, not 99.
            for (var i = 2; i <= 100; i++)
            {
                Acknowledge(i);
                journal.Record();
            }

            release.Set();
            journal.Flush();
        }

        Assert.Equal(2, calls);
        Assert.Equal(100, store.Load()!.AcknowledgedOffset);
    }

    [Fact]
    public void ARecordIsWrittenWithoutAFlush()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store, Snapshot);
        try
        {
            Acknowledge(7);
            journal.Record();

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
        using var journal = new UploadJournal(store, Snapshot);

        // A directory where the temporary state file must go: the write cannot create it.
        Directory.CreateDirectory(store.StatePath + ".tmp");
        Acknowledge(1);
        journal.Record();

        // Once the writer thread has failed, the next record says so, and so does the flush.
        Assert.True(
            SpinWait.SpinUntil(() => Throws<UnauthorizedAccessException>(() => journal.Record()), TimeSpan.FromSeconds(10)),
            "the failed write did not surface at a later record within 10 s");
        Assert.Throws<UnauthorizedAccessException>(() => journal.Flush());
        Assert.False(File.Exists(store.StatePath));
    }

    [Fact]
    public void AFailedWriteSurfacesAtTheFlushWhoeverWroteIt()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store, Snapshot);
        Directory.CreateDirectory(store.StatePath + ".tmp");
        Acknowledge(1);
        journal.Record();

        // Whether the writer thread or the flush itself tried the write, the flush reports the failure.
        Assert.Throws<UnauthorizedAccessException>(() => journal.Flush());
    }

    [Fact]
    public void NothingIsRecordedAfterTheLastFlush()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        using var journal = new UploadJournal(store, Snapshot);
        journal.Flush();

        Assert.Throws<InvalidOperationException>(() => journal.Record());
        Assert.False(File.Exists(store.StatePath));
    }

    private void Acknowledge(long offset) => Interlocked.Exchange(ref acknowledged, offset);

    private string Snapshot() => new UploadState
    {
        Protocol = UploadProtocolKind.Tus,
        Target = "http://127.0.0.1/files",
        SourcePath = "/data/a.bin",
        UploadUrl = "http://127.0.0.1/files/1",
        ChunkSize = 1,
        AcknowledgedOffset = Interlocked.Read(ref acknowledged),
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
