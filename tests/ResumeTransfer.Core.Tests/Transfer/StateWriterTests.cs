using Microsoft.Extensions.Time.Testing;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>
/// The one background state writer, with both directions' options: uploads write after every change (at most two
/// writes behind), downloads after 1 s or 8 MiB; changes during a write are coalesced; failures surface at the next
/// change and at the flush.
/// </summary>
public sealed class StateWriterTests : IDisposable
{
    private const long MiB = 1024 * 1024;
    private readonly TempDir dir = new("rt-statewriter");

    // What the snapshot serializes: the acknowledged offset as the test sets it.
    private long acknowledged;

    public void Dispose() => dir.Dispose();

    [Fact]
    public void FlushLeavesTheNewestChangeOnDisk()
    {
        using var store = Store();
        using (var writer = new StateWriter(() => store.SaveJson(Snapshot()), StateWriterOptions.Upload, TimeProvider.System))
        {
            for (var i = 1; i <= 200; i++)
            {
                Acknowledge(i);
                writer.Changed();
            }

            writer.Flush();
        }

        Assert.Equal(200, store.Load()!.AcknowledgedOffset);
        Assert.False(File.Exists(store.StatePath + ".tmp"));
    }

    [Fact]
    public void ChangesThatArriveDuringAWriteMakeOneMoreWrite()
    {
        using var store = Store();
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var calls = 0;
        void Slow()
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                entered.Set();
                release.Wait(TimeSpan.FromSeconds(10));
            }

            store.SaveJson(Snapshot());
        }

        using (var writer = new StateWriter(Slow, StateWriterOptions.Upload, TimeProvider.System))
        {
            Acknowledge(1);
            writer.Changed();
            Assert.True(entered.Wait(TimeSpan.FromSeconds(10)), "the writer thread did not start a write within 10 s");

            // 99 more changes while the first write is held: they make one more write (the snapshot is taken then), not 99.
            for (var i = 2; i <= 100; i++)
            {
                Acknowledge(i);
                writer.Changed();
            }

            release.Set();
            writer.Flush();
        }

        Assert.Equal(2, calls);
        Assert.Equal(100, store.Load()!.AcknowledgedOffset);
    }

    [Fact]
    public void AnUploadChangeIsWrittenWithoutAFlush()
    {
        using var store = Store();
        using var written = new ManualResetEventSlim();
        using var writer = new StateWriter(
            () =>
            {
                store.SaveJson(Snapshot());
                written.Set();
            },
            StateWriterOptions.Upload,
            new FakeTimeProvider());
        try
        {
            Acknowledge(7);
            writer.Changed();

            // The writer thread writes on its own, with no time passing: a crash before any flush still finds this change.
            Assert.True(written.Wait(TimeSpan.FromSeconds(10)), "the state was not written within 10 s");
            Assert.Equal(7, store.Load()!.AcknowledgedOffset);
        }
        finally
        {
            writer.Flush();
        }
    }

    [Fact]
    public void ADownloadWritesItsFirstCheckpointAfterOneSecond()
    {
        var time = new FakeTimeProvider();
        var writes = 0;
        using var written = new SemaphoreSlim(0);
        using var writer = new StateWriter(
            () =>
            {
                Interlocked.Increment(ref writes);
                written.Release();
            },
            StateWriterOptions.Download,
            time);

        writer.Changed(1024);
        time.Advance(TimeSpan.FromMilliseconds(999));
        writer.Changed(1024);
        Assert.Equal(0, Volatile.Read(ref writes)); // not due yet: no thread, no write

        time.Advance(TimeSpan.FromMilliseconds(1));
        writer.Changed(1024);
        Assert.True(written.Wait(TimeSpan.FromSeconds(10)), "no checkpoint within 10 s of it being due");

        writer.Flush();
        Assert.Equal(1, writes); // nothing changed since: the flush has nothing to write
    }

    [Fact]
    public void ADownloadWritesACheckpointAfterEightMiBWhateverTheClockSays()
    {
        var time = new FakeTimeProvider();
        using var written = new SemaphoreSlim(0);
        using var writer = new StateWriter(() => written.Release(), StateWriterOptions.Download, time);

        writer.Changed((8 * MiB) - 1);
        Assert.False(written.Wait(0));
        writer.Changed(1);

        Assert.True(written.Wait(TimeSpan.FromSeconds(10)), "no checkpoint within 10 s of 8 MiB written");
        writer.Flush();
    }

    [Fact]
    public void FlushAlwaysWritesEvenWithoutAChange()
    {
        var writes = 0;
        using var writer = new StateWriter(() => writes++, StateWriterOptions.Download, new FakeTimeProvider());

        writer.Flush();
        Assert.Equal(0, writes);
        writer.Flush(always: true);
        Assert.Equal(1, writes);
    }

    [Fact]
    public void AFailedBackgroundWriteSurfacesAtTheNextChangeAndAtTheFlush()
    {
        using var store = Store();
        using var writer = new StateWriter(() => store.SaveJson(Snapshot()), StateWriterOptions.Upload, TimeProvider.System);

        // A directory where the state file must go: the temporary file cannot be renamed onto it.
        Directory.CreateDirectory(store.StatePath);
        Acknowledge(1);
        writer.Changed();

        // Once the writer thread has failed, the next change says so, and so does the flush.
        Assert.True(
            SpinWait.SpinUntil(() => Throws<IOException>(() => writer.Changed()), TimeSpan.FromSeconds(10)),
            "the failed write did not surface at a later change within 10 s");
        Assert.Throws<IOException>(() => writer.Flush());
        Assert.False(File.Exists(store.StatePath));

        // Each failed write removed its temporary file.
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(store.StatePath)!, "*.tmp"));
    }

    [Fact]
    public void AFailedWriteSurfacesAtTheFlushWhoeverWroteIt()
    {
        using var store = Store();
        using var writer = new StateWriter(() => store.SaveJson(Snapshot()), StateWriterOptions.Upload, TimeProvider.System);
        Directory.CreateDirectory(store.StatePath);
        Acknowledge(1);
        writer.Changed();

        // Whether the writer thread or the flush itself tried the write, the flush reports the failure.
        Assert.Throws<IOException>(() => writer.Flush());
    }

    [Fact]
    public void NothingIsRecordedAfterTheLastFlush()
    {
        using var store = Store();
        using var writer = new StateWriter(() => store.SaveJson(Snapshot()), StateWriterOptions.Upload, TimeProvider.System);
        writer.Flush();

        Assert.Throws<InvalidOperationException>(() => writer.Changed());
        Assert.False(File.Exists(store.StatePath));
    }

    private UploadStateStore Store() => UploadStateStore.Open(SourceFiles.Create(dir.File("a.bin"), 3), dir.File("per-user"));

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
