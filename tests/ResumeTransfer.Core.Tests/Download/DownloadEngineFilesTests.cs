using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;
using static ResumeTransfer.Core.Tests.Download.DownloadKit;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>The engine and the files beside a target: existing-file policies, lock, state content, folder targets.</summary>
public sealed class DownloadEngineFilesTests : EngineTestBase
{
    public DownloadEngineFilesTests(TestServerFixture fixture)
        : base(fixture, "rt-files")
    {
    }

    [Theory]
    [InlineData(".")]
    [InlineData(".rtpart")]
    [InlineData(".rtstate")]
    public async Task ExistingFilesWithoutResumeOrForceAreLeftUntouched(string which)
    {
        var tag = TestTags.New();
        var target = Temp.File("keep.bin");
        var path = which == "." ? target : target + which;
        var original = new byte[] { 1, 2, 3, 4, 5 };
        File.WriteAllBytes(path, original);
        var written = File.GetLastWriteTimeUtc(path);

        var failure = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(Server.Url($"files/keep.bin?size=100&tag={tag}"), target), 1, default));

        Assert.Equal(TransferErrorKind.TargetExists, failure.Kind);
        Assert.Contains("-Resume", failure.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(new[] { Path.GetFileName(path) }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));
        Assert.Empty(Server.Log.ForTag(tag));
    }

    [Fact]
    public async Task ForceReplacesTheOldTargetOnlyAtTheEnd()
    {
        var tag = TestTags.New();
        var size = 2 * MiB;
        var target = Temp.File("force.bin");
        File.WriteAllText(target, "old");
        File.WriteAllText(target + ".rtstate", "{\"schema\":99}");
        File.WriteAllBytes(target + ".rtpart", new byte[10]);

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/force.bin?size={size}&tag={tag}"), target, policy: ExistingTargetPolicy.Overwrite), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(0, result.BytesResumed);
        Assert.Equal(new[] { "force.bin" }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task SecondRunOnTheSameTargetIsStateLocked()
    {
        var tag = TestTags.New();
        var size = 2 * MiB;
        var target = Temp.File("locked.bin");
        var url = Server.Url($"files/locked.bin?size={size}&tag={tag}&rate={512 * 1024}");
        using var cts = new CancellationTokenSource();
        var first = Engine().DownloadAsync(Request(url, target, connections: 1), 1, cts.Token);
        await WaitForBodyBytesAsync(Server, tag, 64 * 1024, first);
        var requestsBefore = Server.Log.ForTag(tag).Count;

        var second = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(url, target, connections: 1, policy: ExistingTargetPolicy.Resume), 2, default));

        Assert.Equal(TransferErrorKind.StateLocked, second.Kind);
        Assert.Equal(requestsBefore, Server.Log.ForTag(tag).Count);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.True(File.Exists(target + ".rtstate"), "the locked-out run must not have removed the first run's state");
    }

    [Fact]
    public async Task StateFileHoldsNoSecrets()
    {
        var tag = TestTags.New();
        var size = 4 * MiB;
        var target = Temp.File("private.bin");
        var url = Server.Url($"files/private.bin?size={size}&tag={tag}&token=SECRET-QUERY&rate={512 * 1024}");
        var headers = new Dictionary<string, string> { ["Authorization"] = "Bearer SECRET-HEADER", ["Cookie"] = "session=SECRET-COOKIE" };
        using var cts = new CancellationTokenSource();

        var running = Engine().DownloadAsync(Request(url, target, connections: 2, headers: headers), 1, cts.Token);
        await WaitForBodyBytesAsync(Server, tag, 256 * 1024, running);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);

        var text = File.ReadAllText(target + ".rtstate");
        Assert.False(text.Contains("SECRET", StringComparison.Ordinal), text);
        Assert.False(text.Contains("token", StringComparison.OrdinalIgnoreCase), text);
        Assert.False(text.Contains('?', StringComparison.Ordinal), text);
        Assert.Contains($"\"uri\": \"{Server.Url("files/private.bin").AbsoluteUri}\"", text, StringComparison.Ordinal);
        Assert.Contains(Server.Log.ForTag(tag), r => r.Authorization == "Bearer SECRET-HEADER");
        Assert.True(BytesOnDisk(ReadState(target)) > 0);
    }

    [Theory]
    [InlineData("files/elsewhere.bin?size={0}&tag={1}")]                                       // another path
    [InlineData("files/other.bin?size={0}&tag={1}&noetag=1&nolastmodified=1&sig=2")]          // another query, nothing proves the same file
    public async Task ResumeOfAnotherAddressIsInvalidState(string otherAddress)
    {
        var tag = TestTags.New();
        var target = Temp.File("other.bin");
        var validators = otherAddress.Contains("noetag", StringComparison.Ordinal) ? "&noetag=1&nolastmodified=1" : string.Empty;
        var url = Server.Url($"files/other.bin?size={3 * MiB}&tag={tag}{validators}&rate={512 * 1024}");
        var state = await CancelMidwayAsync(url, target, tag);

        var failure = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(Server.Url(string.Format(System.Globalization.CultureInfo.InvariantCulture, otherAddress, 3 * MiB, tag)), target, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.InvalidState, failure.Kind);
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
        Assert.Equal(state, File.ReadAllText(target + ".rtstate"));
    }

    [Fact]
    public async Task ResumeUnderANewlySignedQueryContinuesWhenTheValidatorsMatch()
    {
        var tag = TestTags.New();
        var target = Temp.File("signed.bin");
        await CancelMidwayAsync(Server.Url($"files/signed.bin?size={3 * MiB}&tag={tag}&sig=1&rate={512 * 1024}"), target, tag);
        var onDisk = BytesOnDisk(ReadState(target));
        Assert.True(onDisk > 0);

        var result = await Engine().DownloadAsync(
            Request(Server.Url($"files/signed.bin?size={3 * MiB}&tag={tag}&sig=2"), target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(3 * MiB), Sha256OfFile(target));
        Assert.Equal(onDisk, result.BytesResumed);
        Assert.Contains(Observer.Warnings, w => w.Contains("query string", StringComparison.Ordinal));
    }

    private async Task<string> CancelMidwayAsync(Uri url, string target, string tag)
    {
        using (var cts = new CancellationTokenSource())
        {
            var running = Engine().DownloadAsync(Request(url, target), 1, cts.Token);
            await WaitForBodyBytesAsync(Server, tag, 128 * 1024, running);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        return File.ReadAllText(target + ".rtstate");
    }

    [Fact]
    public async Task CorruptStateIsInvalidStateAndKept()
    {
        var tag = TestTags.New();
        var target = Temp.File("corrupt.bin");
        File.WriteAllText(target + ".rtstate", "{\"schema\":1,\"segm");
        File.WriteAllBytes(target + ".rtpart", new byte[100]);

        var failure = await Assert.ThrowsAsync<TransferException>(
            () => Engine().DownloadAsync(Request(Server.Url($"files/c.bin?size=100&tag={tag}"), target, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.InvalidState, failure.Kind);
        Assert.Equal("{\"schema\":1,\"segm", File.ReadAllText(target + ".rtstate"));
        Assert.Equal(100, new FileInfo(target + ".rtpart").Length);
    }

    [Fact]
    public async Task ExistingTargetIsContinuedAsAPrefixWithAWarning()
    {
        var tag = TestTags.New();
        var size = 3 * MiB;
        var prefix = MiB + 1000;
        var target = Temp.File("prefix.bin");
        File.WriteAllBytes(target, Server.Content(size).AsSpan(0, (int)prefix).ToArray());

        var result = await Engine().DownloadAsync(Request(Server.Url($"files/prefix.bin?size={size}&tag={tag}"), target, connections: 1, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(prefix, result.BytesResumed);
        Assert.Equal($"bytes={prefix}-{size - 1}", Assert.Single(DataRequests(Server, tag)).Range);
        Assert.Contains(Observer.Warnings, w => w.Contains("prefix", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ExistingTargetOfTheRemoteLengthIsKeptAndCheckedWithExpectedHash()
    {
        var tag = TestTags.New();
        var size = 5000;
        var target = Temp.File("same.bin");
        File.WriteAllBytes(target, Server.Content(size));

        var result = await Engine().DownloadAsync(
            Request(Server.Url($"files/same.bin?size={size}&tag={tag}"), target, policy: ExistingTargetPolicy.Resume, expectedHash: Server.Sha256(size)), 1, default);

        Assert.Equal(0, result.BytesDownloaded);
        Assert.Equal(size, result.BytesResumed);
        Assert.Empty(DataRequests(Server, tag));

        File.WriteAllBytes(target, new byte[size]);
        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/same.bin?size={size}&tag={tag}"), target, policy: ExistingTargetPolicy.Resume, expectedHash: Server.Sha256(size)), 1, default));
        Assert.Equal(TransferErrorKind.IntegrityCheckFailed, failure.Kind);
        Assert.Equal(new byte[size], File.ReadAllBytes(target));
    }

    [Fact]
    public async Task ExistingTargetLongerThanTheRemoteFileIsNotTouched()
    {
        var tag = TestTags.New();
        var target = Temp.File("long.bin");
        File.WriteAllBytes(target, new byte[2000]);

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/long.bin?size=1000&tag={tag}"), target, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.TargetExists, failure.Kind);
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[2000], File.ReadAllBytes(target));
        Assert.Equal(new[] { "long.bin" }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ExistingTargetIsNotReplacedWhenTheServerCannotContinueIt()
    {
        var tag = TestTags.New();
        var target = Temp.File("noranges.bin");
        File.WriteAllBytes(target, new byte[500]);

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/noranges.bin?size=1000&noranges=1&tag={tag}"), target, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.RangeNotSupported, failure.Kind);
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[500], File.ReadAllBytes(target));
        Assert.Equal(new[] { "noranges.bin" }, Directory.GetFiles(Temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FolderTargetNeverContinuesOrReplacesAnExistingFileTheServerNamed()
    {
        var tag = TestTags.New();
        var folder = Temp.File("cwd");
        Directory.CreateDirectory(folder);
        var mine = Path.Combine(folder, "index.html");
        File.WriteAllBytes(mine, new byte[] { 1, 2, 3 });
        var disposition = Uri.EscapeDataString("attachment; filename=\"index.html\"");

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/page?size=1000&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true, policy: ExistingTargetPolicy.Resume), 1, default));

        Assert.Equal(TransferErrorKind.TargetExists, failure.Kind);
        Assert.Contains("-Force", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(mine));
        Assert.Equal(new[] { "index.html" }, Directory.GetFiles(folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FolderTargetThatExistsIsRefusedBeforeAnyByteOfTheFirstAnswerIsRead()
    {
        var tag = TestTags.New();
        var folder = Temp.File("named");
        Directory.CreateDirectory(folder);
        var mine = Path.Combine(folder, "report.pdf");
        File.WriteAllBytes(mine, new byte[] { 9, 8, 7 });
        var disposition = Uri.EscapeDataString("attachment; filename=\"report.pdf\"");
        // Big enough that socket buffers cannot hold a quarter of it: only reading the answer could make the server send that much.
        const long big = 1L << 30;

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine().DownloadAsync(
            Request(Server.Url($"files/r?size={big}&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true), 1, default));

        Assert.Equal(TransferErrorKind.TargetExists, failure.Kind);
        Assert.Equal(new byte[] { 9, 8, 7 }, File.ReadAllBytes(mine));
        Assert.Equal(new[] { "report.pdf" }, Directory.GetFiles(folder).Select(Path.GetFileName));
        var only = Assert.Single(Server.Log.ForTag(tag));
        Assert.Equal("bytes=0-", only.Range);
        Assert.True(only.BodyBytesSent < big / 4, $"the server sent {only.BodyBytesSent} bytes of an answer that was refused");
    }

    [Fact]
    public async Task FolderTargetNamedByTheFirstAnswerIsDownloadedWithOneRequest()
    {
        var tag = TestTags.New();
        var folder = Temp.File("one");
        Directory.CreateDirectory(folder);
        var size = 200_000;
        var disposition = Uri.EscapeDataString("attachment; filename=\"named.bin\"");

        var result = await Engine().DownloadAsync(
            Request(Server.Url($"files/url-name?size={size}&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true), 1, default);

        Assert.Equal(Path.Combine(folder, "named.bin"), result.Path);
        Assert.Equal(Server.Sha256(size), Sha256OfFile(result.Path));
        Assert.Equal("bytes=0-", Assert.Single(Server.Log.ForTag(tag)).Range);
    }

    [Fact]
    public async Task ResumeIntoAFolderProbesBeforeItContinues()
    {
        // The name comes from the first answer, which is opened from byte 0; a state found under that name is then
        // continued with If-Range from its bytes on disk, and the opened answer is dropped unused.
        var tag = TestTags.New();
        var folder = Temp.File("again");
        Directory.CreateDirectory(folder);
        var size = 3 * MiB;
        var disposition = Uri.EscapeDataString("attachment; filename=\"again.bin\"");
        var url = Server.Url($"files/ag?size={size}&tag={tag}&disposition={disposition}");
        var target = Path.Combine(folder, "again.bin");
        var throttled = RoutedEngine(Client, Observer, rangeUrl: Server.Url($"files/ag?size={size}&tag={tag}&disposition={disposition}&rate={512 * 1024}"));
        using (var cts = new CancellationTokenSource())
        {
            var running = throttled.DownloadAsync(Request(url, folder, connections: 1, outputIsDirectory: true), 1, cts.Token);
            await WaitForBodyBytesAsync(Server, tag, 128 * 1024, running);
            cts.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        }

        var onDisk = BytesOnDisk(ReadState(target));
        Assert.True(onDisk > 0);
        var before = Server.Log.ForTag(tag).Count;

        var result = await Engine().DownloadAsync(Request(url, folder, connections: 1, outputIsDirectory: true, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Equal(onDisk, result.BytesResumed);
        var second = Server.Log.ForTag(tag).Skip(before).ToList();
        Assert.Equal(2, second.Count);
        Assert.Equal("bytes=0-", second[0].Range);
        Assert.Equal($"bytes={onDisk}-{size - 1}", second[1].Range);
        Assert.Equal($"\"s1-v1-n{size}\"", second[1].IfRange);
    }

    [Fact]
    public async Task PartFileWithoutStateIsNotTrusted()
    {
        var tag = TestTags.New();
        var size = MiB;
        var target = Temp.File("orphan.bin");
        File.WriteAllBytes(target + ".rtpart", Enumerable.Repeat((byte)0xAB, (int)size).ToArray());

        await Engine().DownloadAsync(Request(Server.Url($"files/orphan.bin?size={size}&tag={tag}"), target, policy: ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(Server.Sha256(size), Sha256OfFile(target));
        Assert.Contains(Observer.Warnings, w => w.Contains("without its state file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FolderTargetTakesFilenameStarOverFilename()
    {
        var tag = TestTags.New();
        var disposition = Uri.EscapeDataString("attachment; filename=\"plain.bin\"; filename*=UTF-8''n%C3%A4me%20%E2%9C%93.bin");
        var folder = Temp.File("out") + Path.DirectorySeparatorChar;

        var result = await Engine().DownloadAsync(
            Request(Server.Url($"files/url-name.bin?size=3000&tag={tag}&disposition={disposition}"), folder, outputIsDirectory: true), 1, default);

        Assert.Equal(Path.Combine(Temp.File("out"), "näme ✓.bin"), result.Path);
        Assert.Equal(Server.Sha256(3000), Sha256OfFile(result.Path));
        Assert.Equal(new[] { "näme ✓.bin" }, Directory.GetFiles(Temp.File("out")).Select(Path.GetFileName));
    }

    [Theory]
    [InlineData("attachment; filename=\"../../escape.bin\"", "escape.bin")]
    [InlineData("attachment; filename=\"..\\\\..\\\\win.bin\"", "win.bin")]
    [InlineData("attachment; filename=\"CON\"", "_CON")]
    [InlineData("attachment; filename=\"...\"", "url%20name.bin")]
    public async Task FolderTargetNeverLeavesTheFolder(string disposition, string expected)
    {
        var tag = TestTags.New();
        var folder = Temp.File("safe");
        Directory.CreateDirectory(folder);

        var result = await Engine().DownloadAsync(
            Request(Server.Url($"files/url%20name.bin?size=100&tag={tag}&disposition={Uri.EscapeDataString(disposition)}"), folder, outputIsDirectory: true), 1, default);

        Assert.Equal(folder, Path.GetDirectoryName(result.Path));
        Assert.Equal(Uri.UnescapeDataString(expected), Path.GetFileName(result.Path));
        Assert.Single(Directory.GetFiles(folder));
        Assert.Single(Directory.GetFileSystemEntries(Temp.Path));
    }
}
