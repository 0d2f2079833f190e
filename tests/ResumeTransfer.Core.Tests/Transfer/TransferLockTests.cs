using System.Text;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>The lock on a real file: exclusive while held, never truncating what has its name, gone once released.</summary>
public sealed class TransferLockTests : IDisposable
{
    private readonly TempDir dir = new("rt-lock");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void AFileAlreadyThereIsLockedAsItIsNeverTruncatedOrWritten()
    {
        var path = dir.File("a.bin.rtlock");
        var before = Encoding.ASCII.GetBytes("somebody's bytes");
        File.WriteAllBytes(path, before);
        var written = File.GetLastWriteTimeUtc(path);

        using (TransferLock.Acquire(path, "a.bin"))
        {
            var second = Assert.Throws<TransferException>(() => TransferLock.Acquire(path, "a.bin"));
            Assert.Equal(TransferErrorKind.StateLocked, second.Kind);
            // The holder's flock keeps even readers out: what the file system says of it shows it untouched.
            Assert.Equal(before.Length, new FileInfo(path).Length);
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        }

        Assert.False(File.Exists(path));
    }

    [Fact]
    public void AReleasedLockIsDeletedAndCanBeTakenAgain()
    {
        var path = dir.File("b.bin.rtlock");
        TransferLock.Acquire(path, "b.bin").Dispose();
        Assert.False(File.Exists(path));

        using var again = TransferLock.Acquire(path, "b.bin");
        Assert.True(File.Exists(path));
    }
}
