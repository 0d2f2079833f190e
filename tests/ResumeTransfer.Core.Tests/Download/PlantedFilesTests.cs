using System.Security.Cryptography;
using System.Text;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.TestServer;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>
/// Someone who can write to the target's folder plants symbolic links (or names) where a download keeps its files: a
/// victim file elsewhere must never be written, truncated or extended through them, and the server-chosen name must
/// never be one of those files. Real files, real links, the real test server.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // symbolic links and Unix modes as a user without privileges meets them
public sealed class PlantedFilesTests : EngineTestBase
{
    private static readonly byte[] VictimBytes = Encoding.ASCII.GetBytes("the victim's own bytes");

    public PlantedFilesTests(TestServerFixture fixture)
        : base(fixture, "rt-planted-files")
    {
    }

    [Theory]
    [InlineData(".rtpart", ExistingTargetPolicy.Resume)]
    [InlineData(".rtstate", ExistingTargetPolicy.Resume)]
    [InlineData(".rtlock", ExistingTargetPolicy.Resume)]
    [InlineData(".rtlock", ExistingTargetPolicy.Overwrite)]
    [InlineData("", ExistingTargetPolicy.Resume)]
    public async Task ALinkWhereResumeWouldWriteIsRefusedAndTheVictimIsUntouched(string suffix, ExistingTargetPolicy policy)
    {
        var tag = TestTags.New();
        var target = Temp.File("t.bin");
        var victim = Victim();
        File.CreateSymbolicLink(target + suffix, victim);

        var failure = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(Server.Url($"files/t.bin?size={MiB}&tag={tag}"), target, policy: policy), 1, default));

        Assert.Equal(suffix.Length == 0 ? TransferErrorKind.TargetExists : TransferErrorKind.InvalidState, failure.Kind);
        Assert.Contains("symbolic link", failure.Message, StringComparison.Ordinal);
        Assert.Equal(VictimBytes, File.ReadAllBytes(victim));
        Assert.Empty(Server.Log.ForTag(tag));
        Assert.True(OwnFile.IsLink(target + suffix), "the planted link is the user's to remove");
    }

    [Theory]
    [InlineData(".rtpart")]
    [InlineData(".rtstate")]
    public async Task ForceReplacesALinkItselfAndNeverWritesThroughIt(string suffix)
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var target = Temp.File("f.bin");
        var victim = Victim();
        File.CreateSymbolicLink(target + suffix, victim);

        await Engine().DownloadAsync(Request(Server.Url($"files/f.bin?size={size}&tag={tag}"), target, policy: ExistingTargetPolicy.Overwrite), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(VictimBytes, File.ReadAllBytes(victim));
        Assert.False(OwnFile.Exists(target + suffix));
    }

    [Fact]
    public async Task ADanglingPartLinkCreatesNothingWhereItPoints()
    {
        var tag = TestTags.New();
        var target = Temp.File("d.bin");
        var nowhere = Temp.File("created-through-the-link");
        File.CreateSymbolicLink(target + ".rtpart", nowhere);

        var failure = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(Server.Url($"files/d.bin?size={MiB}&tag={tag}"), target, policy: ExistingTargetPolicy.Resume), 1, default));
        await Engine().DownloadAsync(Request(Server.Url($"files/d.bin?size={MiB}&tag={tag}"), target, policy: ExistingTargetPolicy.Overwrite), 1, default);

        Assert.Equal(TransferErrorKind.InvalidState, failure.Kind);
        Assert.False(File.Exists(nowhere));
        Assert.Equal(Server.Sha256(MiB), Sha256OfFile(target));
    }

    [Fact]
    public async Task TheTemporaryStateFileIsNeverAPlantedName()
    {
        var tag = TestTags.New();
        var target = Temp.File("s.bin");
        var victim = Victim();
        File.CreateSymbolicLink(target + ".rtstate.tmp", victim);
        using var cts = new CancellationTokenSource();

        // Cancelled part way, the download saves its state (through a temporary file) before it stops.
        var running = Engine().DownloadAsync(Request(Server.Url($"files/s.bin?size={4 * MiB}&tag={tag}&rate={512 * 1024}"), target), 1, cts.Token);
        await WaitForBodyBytesAsync(Server, tag, 128 * 1024, running);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        Assert.Equal(VictimBytes, File.ReadAllBytes(victim));
        Assert.True(BytesOnDisk(ReadState(target)) > 0);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target + ".rtstate"));
        Assert.Empty(Directory.GetFiles(Temp.Path, "s.bin.rtstate.*.tmp"));
    }

    [Fact]
    public async Task TheStateRecordsTheFullAddressOnlyUnderAKey()
    {
        var tag = TestTags.New();
        var target = Temp.File("k.bin");
        var url = Server.Url($"files/k.bin?size={4 * MiB}&tag={tag}&token=1234&rate={512 * 1024}");
        using (var cts = new CancellationTokenSource())
        {
            var running = Engine().DownloadAsync(Request(url, target), 1, cts.Token);
            await WaitForBodyBytesAsync(Server, tag, 128 * 1024, running);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        // A four-digit token would fall to a guess per second against a plain hash of the address.
        var plain = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url.AbsoluteUri)));
        var recorded = ReadState(target).UriHash;
        Assert.NotEqual(plain, recorded);
        Assert.Matches("^[0-9a-f]{64}$", recorded);

        // A state file an earlier version wrote (plain hash) still resumes, and is rewritten keyed.
        var state = File.ReadAllText(target + ".rtstate").Replace(recorded, plain, StringComparison.Ordinal);
        File.WriteAllText(target + ".rtstate", state);
        var result = await Engine().DownloadAsync(Request(url, target, policy: ExistingTargetPolicy.Resume), 1, default);
        Assert.True(result.BytesResumed > 0);
        Assert.Equal(Server.Sha256(4 * MiB), Sha256OfFile(target));
    }

    [Fact]
    public async Task ForceKeepsTheReplacedFilesPermissions()
    {
        var tag = TestTags.New();
        var target = Temp.File("script.sh");
        File.WriteAllText(target, "old");
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
        File.SetUnixFileMode(target, mode);

        await Engine().DownloadAsync(Request(Server.Url($"files/script.sh?size=5000&tag={tag}"), target, policy: ExistingTargetPolicy.Overwrite), 1, default);

        Assert.Equal(Server.Sha256(5000), Sha256OfFile(target));
        Assert.Equal(mode, File.GetUnixFileMode(target));
    }

    [Theory]
    [InlineData("other.iso.rtstate")]
    [InlineData("other.iso.RTPART")]
    [InlineData("other.iso.rtlock")]
    [InlineData("other.iso.rtupload")]
    [InlineData("other.iso.rtstate.0123456789abcdef.tmp")]
    public async Task AServerChosenNameOfAStateFileIsRefusedBeforeAnyByte(string name)
    {
        var tag = TestTags.New();
        var folder = Temp.File("names-" + name.GetHashCode(StringComparison.Ordinal));
        Directory.CreateDirectory(folder);
        var disposition = Uri.EscapeDataString($"attachment; filename=\"{name}\"");
        const long big = 1L << 30;

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/x?size={big}&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true), 1, default));

        Assert.Equal(TransferErrorKind.InvalidFileName, failure.Kind);
        Assert.Contains(name, failure.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
        Assert.True(Assert.Single(Server.Log.ForTag(tag)).BodyBytesSent < big / 4, "the refused answer was read");
    }

    [Fact]
    public async Task AServerChosenNameOfAFolderIsRefused()
    {
        var tag = TestTags.New();
        var folder = Temp.File("has-sub");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        var disposition = Uri.EscapeDataString("attachment; filename=\"sub\"");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/x?size=1000&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true, policy: ExistingTargetPolicy.Overwrite), 1, default));

        Assert.Equal(TransferErrorKind.InvalidFileName, failure.Kind);
        Assert.Equal(new[] { "sub" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(folder, "sub")));
    }

    private string Victim()
    {
        var victim = Temp.File("victim-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllBytes(victim, VictimBytes);
        return victim;
    }
}
