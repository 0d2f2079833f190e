using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

public sealed class UploadStateTests : IDisposable
{
    private readonly TempDir dir = new("rt-upstate");

    public void Dispose() => dir.Dispose();

    [Fact]
    public void RoundTripsThroughJson()
    {
        var state = new UploadState
        {
            Protocol = UploadProtocolKind.S3,
            Target = "s3://b/k",
            SourcePath = "/data/résumé.iso",
            Fingerprint = new UploadState.FingerprintRecord { Length = 12, LastWriteTimeUtc = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc), HeadSha256 = "aa", TailSha256 = "bb" },
            UploadId = "id-1",
            ChunkSize = 5,
            Properties = new Dictionary<string, string> { ["bucket"] = "b", ["key"] = "k" },
            Parts = { new UploadState.PartRecord { Number = 1, Offset = 0, Length = 5, Md5 = "cc", ETag = "\"cc\"" } },
        };

        var json = state.ToJson();
        var back = UploadState.FromJson(json, "x");

        Assert.Contains("\"schema\": 1", json, StringComparison.Ordinal);
        Assert.Contains("\"protocol\": \"S3\"", json, StringComparison.Ordinal);
        Assert.Contains("\"/data/résumé.iso\"", json, StringComparison.Ordinal);
        Assert.Contains("\"eTag\": \"\\\"cc\\\"\"", json, StringComparison.Ordinal);
        Assert.Equal("id-1", back.UploadId);
        Assert.Equal(state.Fingerprint.LastWriteTimeUtc, back.Fingerprint.LastWriteTimeUtc);
        Assert.Equal("\"cc\"", Assert.Single(back.Parts).ETag);
        Assert.Equal("k", back.Properties["key"]);
    }

    [Theory]
    [InlineData("{ \"schema\": 2, \"target\": \"t\", \"chunkSize\": 1 }")]
    [InlineData("not json")]
    [InlineData("{ \"schema\": 1 }")]
    public void UnknownOrBrokenStateIsInvalidState(string json)
    {
        var error = Assert.Throws<TransferException>(() => UploadState.FromJson(json, "state.rtupload"));
        Assert.Equal(TransferErrorKind.InvalidState, error.Kind);
        Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StateLivesBesideTheSource()
    {
        var source = SourceFiles.Create(dir.File("a.bin"), 3);
        using var store = UploadStateStore.Open(source, dir.File("per-user"));
        Assert.Equal(source + ".rtupload", store.StatePath);
    }

    [Fact]
    public void StateGoesToThePerUserFolderWhenItCannotBeWrittenBesideTheSource()
    {
        var source = SourceFiles.Create(dir.File("b.bin"), 3);

        // A directory where the lock file would go makes creating it fail the way a read-only folder does
        // (root ignores permission bits, so chmod cannot stand in for it).
        Directory.CreateDirectory(source + ".rtupload.lock");
        using (var store = UploadStateStore.Open(source, dir.File("per-user")))
        {
            Assert.Equal(UploadStateStore.PerUserPath(source, dir.File("per-user")), store.StatePath);
            store.Save(new UploadState { Target = "t", ChunkSize = 1 });
        }

        // The next run finds it there even when the source's folder is writable again.
        Directory.Delete(source + ".rtupload.lock");
        using var again = UploadStateStore.Open(source, dir.File("per-user"));
        Assert.Equal(UploadStateStore.PerUserPath(source, dir.File("per-user")), again.StatePath);
        Assert.Equal("t", again.Load()!.Target);
    }

    [Fact]
    public void FingerprintSeesAChangeInTheMiddleOnlyThroughTimeButAtTheEndsThroughContent()
    {
        var path = SourceFiles.Create(dir.File("f.bin"), 3 * 1024 * 1024);
        var before = SourceFingerprint.Compute(path);
        Assert.True(before.Matches(SourceFingerprint.Compute(path)));

        var time = File.GetLastWriteTimeUtc(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Position = stream.Length - 1;
            stream.WriteByte(0x5A);
        }

        File.SetLastWriteTimeUtc(path, time);
        var after = SourceFingerprint.Compute(path);
        Assert.Equal(before.LastWriteTimeUtc, after.LastWriteTimeUtc);
        Assert.False(before.Matches(after), "the tail hash changes");
    }

    [Theory]
    [InlineData(".rtupload.lock")]
    [InlineData(".rtupload")]
    public void APlantedLinkAtTheStateOrItsLockIsRefusedAndTheVictimIsUntouched(string suffix)
    {
        var source = SourceFiles.Create(dir.File("l" + suffix.Length + ".bin"), 3);
        var victim = dir.File("victim" + suffix.Length);
        File.WriteAllText(victim, "victim");
        File.CreateSymbolicLink(source + suffix, victim);

        var error = Assert.Throws<TransferException>(() =>
        {
            using var store = UploadStateStore.Open(source, dir.File("per-user"));
            store.Load();
        });

        Assert.Equal(TransferErrorKind.InvalidState, error.Kind);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.Equal("victim", File.ReadAllText(victim));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void StateIsReadableByItsOwnerOnlyAndItsTemporaryNameCannotBePlanted()
    {
        var source = SourceFiles.Create(dir.File("m.bin"), 3);
        var victim = dir.File("victim-tmp");
        File.WriteAllText(victim, "victim");
        File.CreateSymbolicLink(source + ".rtupload.tmp", victim);

        using (var store = UploadStateStore.Open(source, dir.File("per-user")))
        {
            store.Save(new UploadState { Target = "t", ChunkSize = 1, UploadUrl = "https://h/files/secret-id" });
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(source + ".rtupload"));
        Assert.Equal("victim", File.ReadAllText(victim));
        Assert.Empty(Directory.GetFiles(dir.Path, "m.bin.rtupload.*.tmp"));
    }
}
