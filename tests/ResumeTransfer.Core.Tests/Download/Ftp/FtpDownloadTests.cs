using System.Net;
using System.Security.Cryptography;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Download.Sources.Ftp;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download.Ftp;

/// <summary>Save-ResumableFile's engine over ftp:// and ftps:// against pyftpdlib: whole files, resume, changes, faults, refusals.</summary>
public sealed class FtpDownloadTests : IDisposable
{
    private readonly TempDir temp = new("rt-ftp");
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);

    internal DownloadObserver Observer { get; } = new();

    public void Dispose()
    {
        client.Dispose();
        temp.Dispose();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task PlainFtpDownloadsTheWholeFileWithRestAtSegmentStarts(int connections)
    {
        await using var server = await FtpPeer.StartAsync();
        var sha = server.Put("pub/big.bin", 3 * 1024 * 1024 + 17);
        var target = temp.File("big.bin");

        // Through the public engine: ByteSourceFactory picks the FTP source by scheme.
        var result = await new DownloadEngine(client, TimeProvider.System, Observer).DownloadAsync(Request(server.For("pub/big.bin"), target, connections), 1, default);

        Assert.Equal(sha, Sha256(target));
        Assert.Equal(3 * 1024 * 1024 + 17, result.Length);
        Assert.Equal(connections, result.Connections);
        await server.WaitForLogAsync(s => s.Data.Count >= connections);
        var restOffsets = server.Commands.Where(c => c.Line.StartsWith("REST ", StringComparison.Ordinal)).Select(c => long.Parse(c.Line[5..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(connections - 1, restOffsets.Count(o => o > 0));
        if (connections == 1)
        {
            Assert.Equal(result.Length, Assert.Single(server.Data).Sent);
        }
        else
        {
            Assert.True(server.Data.Sum(d => d.Sent) >= result.Length); // ranges that end before the file's end stop with ABOR
        }

        Assert.Contains(server.Commands, c => c.Line == "TYPE I");
        Assert.Contains(server.Commands, c => c.Line == "EPSV");
        Assert.DoesNotContain(Observer.Warnings, w => w.Contains("connection", StringComparison.Ordinal));
        Assert.False(File.Exists(target + ".rtstate"));
    }

    [Theory]
    [InlineData(1, "1.3")]
    [InlineData(4, "1.3")]
    [InlineData(4, "1.2")]
    public async Task FtpsDownloadsOverEncryptedChannelsThatResumeTheControlSession(int connections, string tls)
    {
        await using var server = await FtpPeer.StartAsync(tls == "1.2" ? ["--tls", "--tls12", "--require-tls-reuse"] : ["--tls", "--require-tls-reuse"]);
        var sha = server.Put("secret.bin", 3 * 1024 * 1024 + 3);
        var target = temp.File("secret.bin");

        var result = await Engine(server).DownloadAsync(Request(server.For("secret.bin"), target, connections), 1, default);

        Assert.Equal(sha, Sha256(target));
        Assert.Equal(connections, result.Connections);
        var commands = server.Commands.Select(c => c.Line).ToList();
        Assert.Equal("AUTH TLS", commands[0]);
        Assert.Contains("PBSZ 0", commands);
        Assert.Contains("PROT P", commands);
        Assert.True(commands.IndexOf("AUTH TLS") < commands.IndexOf("USER anonymous"), "the login must travel encrypted");
        await server.WaitForLogAsync(s => s.TlsReuse.Count >= connections);
        Assert.Equal(connections, server.TlsReuse.Count);
        Assert.All(server.TlsReuse, Assert.True);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task TinyFilesDownload(int size)
    {
        await using var server = await FtpPeer.StartAsync();
        var sha = server.Put("tiny.bin", size);

        var result = await Engine(server).DownloadAsync(Request(server.For("tiny.bin"), temp.File("tiny.bin"), 4), 1, default);

        Assert.Equal(size, result.Length);
        Assert.Equal(sha, Sha256(temp.File("tiny.bin")));
    }

    [Fact]
    public async Task AnUntrustedCertificateFailsAtOnceWithoutRetrying()
    {
        await using var server = await FtpPeer.StartAsync("--tls");
        server.Put("a.bin", 1000);
        var target = temp.File("a.bin");

        // The system's validation: nothing on this machine trusts the server's self-signed certificate.
        var failure = await Assert.ThrowsAsync<TransferException>(() => new DownloadEngine(client, TimeProvider.System, Observer).DownloadAsync(Request(server.For("a.bin"), target, 1), 1, default));

        Assert.IsNotType<TransientTransferException>(failure);
        Assert.Equal(TransferErrorKind.ConnectionFailed, failure.Kind);
        Assert.Contains("certificate", failure.Message, StringComparison.Ordinal);
        await server.WaitForLogAsync(s => s.Commands.Count > 0);
        await Task.Delay(300); // a retry would log in again within the 50 ms retry interval
        Assert.Single(server.Commands, c => c.Line == "AUTH TLS");
        Assert.DoesNotContain(server.Commands, c => c.Line.StartsWith("USER", StringComparison.Ordinal));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public async Task AServerThatRequiresTlsSessionReuseIsExplainedWhenTheAddressIsAnIpAddress()
    {
        await using var server = await FtpPeer.StartAsync("--tls", "--require-tls-reuse");
        server.Put("ip.bin", 100_000);
        var byAddress = new UriBuilder(server.For("ip.bin")) { Host = "127.0.0.1" }.Uri;

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(Request(byAddress, temp.File("ip.bin"), 1), 1, default));

        Assert.IsNotType<TransientTransferException>(failure);
        Assert.Equal(TransferErrorKind.ConnectionFailed, failure.Kind);
        Assert.Equal(425, failure.StatusCode);
        Assert.Contains("host name", failure.Message, StringComparison.Ordinal);
        Assert.Single(server.Commands, c => c.Line == "RETR ip.bin");
    }

    [Fact]
    public async Task ACutDataConnectionIsRetriedFromTheBytesOnDisk()
    {
        await using var server = await FtpPeer.StartAsync("--cut-after", "1000000");
        var sha = server.Put("cut.bin", 3 * 1024 * 1024);
        var target = temp.File("cut.bin");

        var result = await Engine(server).DownloadAsync(Request(server.For("cut.bin"), target, 1), 1, default);

        Assert.Equal(sha, Sha256(target));
        await server.WaitForLogAsync(s => s.Data.Count >= 2);
        var data = server.Data;
        Assert.False(data[0].Complete);
        Assert.Equal(0, data[0].Rest);
        Assert.True(data[1].Rest > 0 && data[1].Rest <= data[0].Sent, $"the retry must continue near the cut, not at {data[1].Rest}");
        Assert.True(data[1].Complete);
        Assert.False(result.Restarted);
    }

    [Fact]
    public async Task AFileThatChangesDuringTheDownloadIsStartedOverNotSpliced()
    {
        await using var server = await FtpPeer.StartAsync("--cut-after", "1000000", "--change-on-cut");
        server.Put("growing.bin", 3 * 1024 * 1024);
        var path = Path.Combine(server.Root, "growing.bin");

        var result = await Engine(server).DownloadAsync(Request(server.For("growing.bin"), temp.File("growing.bin"), 2), 1, default);

        Assert.Equal((3 * 1024 * 1024) + 1000, result.Length);
        Assert.Equal(Sha256(path), Sha256(temp.File("growing.bin")));
        Assert.True(result.Restarted);
        Assert.Contains(Observer.Warnings, w => w.Contains("changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADataConnectionThatGoesSilentTimesOutAndIsRetried()
    {
        await using var server = await FtpPeer.StartAsync("--stall-after", "500000");
        var sha = server.Put("quiet.bin", 2 * 1024 * 1024);
        var request = Request(server.For("quiet.bin"), temp.File("quiet.bin"), 1) with { StallTimeout = TimeSpan.FromSeconds(1) };
        var watch = System.Diagnostics.Stopwatch.StartNew();

        await Engine(server).DownloadAsync(request, 1, default);

        Assert.Equal(sha, Sha256(temp.File("quiet.bin")));
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(20));
        Assert.Equal(2, server.Commands.Count(c => c.Line == "RETR quiet.bin"));
        Assert.True(server.Commands.Last(c => c.Line.StartsWith("REST ", StringComparison.Ordinal)).Line != "REST 0");
    }

    [Fact]
    public async Task AnInterruptedDownloadResumesWithRestAndFetchesOnlyTheRest()
    {
        await using var server = await FtpPeer.StartAsync("--rate", "1000000");
        var sha = server.Put("slow.bin", Throttled);
        var target = temp.File("slow.bin");
        await InterruptAsync(server, target);
        var onDisk = SavedBytes(target);
        Assert.True(onDisk > 0 && onDisk < Throttled, $"{onDisk} bytes saved");
        var sentBefore = server.Data.Sum(d => d.Sent);

        var result = await Engine(server).DownloadAsync(Request(server.For("slow.bin"), target, 2, ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(sha, Sha256(target));
        Assert.False(result.Restarted);
        Assert.Equal(onDisk, result.BytesResumed);
        await server.WaitForLogAsync(s => s.Data.Sum(d => d.Sent) - sentBefore >= Throttled - onDisk);
        var refetched = server.Data.Sum(d => d.Sent) - sentBefore;
        Assert.InRange(refetched, Throttled - onDisk, Throttled - onDisk + (1024 * 1024)); // an aborted range may overshoot by socket buffers
    }

    [Fact]
    public async Task AFileChangedBetweenAttemptsIsStartedOver()
    {
        await using var server = await FtpPeer.StartAsync("--rate", "1000000");
        server.Put("moving.bin", Throttled);
        var target = temp.File("moving.bin");
        await InterruptAsync(server, target);
        var sha = server.Put("moving.bin", 3 * 1024 * 1024);

        var result = await Engine(server).DownloadAsync(Request(server.For("moving.bin"), target, 1, ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(sha, Sha256(target));
        Assert.Equal(0, result.BytesResumed);
        Assert.Contains(Observer.Warnings, w => w.Contains("changed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheServersHashTellsAChangeThatKeepsSizeAndTime()
    {
        await using var server = await FtpPeer.StartAsync("--rate", "1000000", "--hash");
        server.Put("same.bin", Throttled);
        var path = Path.Combine(server.Root, "same.bin");
        var stamp = File.GetLastWriteTimeUtc(path);
        var target = temp.File("same.bin");
        await InterruptAsync(server, target);
        Assert.Contains("\"etag\": \"sha256:", File.ReadAllText(target + ".rtstate"), StringComparison.Ordinal);
        var sha = server.Put("same.bin", Throttled);
        File.SetLastWriteTimeUtc(path, stamp);

        var result = await Engine(server).DownloadAsync(Request(server.For("same.bin"), target, 1, ExistingTargetPolicy.Resume), 1, default);

        Assert.Equal(sha, Sha256(target));
        Assert.Equal(0, result.BytesResumed);
        Assert.Contains(server.Commands, c => c.Line == "HASH same.bin");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)] // the probe logs in alone, so a wrong password is one refused login, not one per connection
    public async Task ARefusedLoginIsAccessDeniedWithoutRetries(int connections)
    {
        await using var server = await FtpPeer.StartAsync("--tls", "--user", "alice:right", "--no-anonymous");
        server.Put("a.bin", 1000);
        var request = Request(server.For("a.bin"), temp.File("a.bin"), connections) with { Credential = new NetworkCredential("alice", "wrong") };

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(request, 1, default));

        Assert.Equal(TransferErrorKind.AccessDenied, failure.Kind);
        Assert.Equal(530, failure.StatusCode);
        Assert.Single(server.Commands, c => c.Line == "PASS ***");
    }

    [Fact]
    public async Task ACredentialLogsInOverFtps()
    {
        await using var server = await FtpPeer.StartAsync("--tls", "--user", "alice:right", "--no-anonymous");
        var sha = server.Put("a.bin", 100_000);
        var request = Request(server.For("a.bin"), temp.File("a.bin"), 2) with { Credential = new NetworkCredential("alice", "right") };

        await Engine(server).DownloadAsync(request, 1, default);

        Assert.Equal(sha, Sha256(temp.File("a.bin")));
        Assert.Contains(server.Commands, c => c.Line == "USER alice");
    }

    [Fact]
    public async Task AMissingFileIsNotFoundWithoutRetries()
    {
        await using var server = await FtpPeer.StartAsync();

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(Request(server.For("nothing.bin"), temp.File("n.bin"), 1), 1, default));

        Assert.Equal(TransferErrorKind.NotFound, failure.Kind);
        Assert.Equal(550, failure.StatusCode);
        Assert.Single(server.Commands, c => c.Line == "SIZE nothing.bin");
    }

    [Fact]
    public async Task ADirectoryIsRefusedWithTheFix()
    {
        await using var server = await FtpPeer.StartAsync();
        server.Put("pub/a.bin", 10);

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(Request(server.For("pub"), temp.File("pub"), 1), 1, default));

        Assert.Equal(TransferErrorKind.InvalidArgument, failure.Kind);
        Assert.Contains("is a directory", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--max-logins", "2")]
    [InlineData("--max-cons-per-ip", "2")]
    public async Task RefusedExtraLoginsFallBackToFewerConnectionsWithOneWarning(string option, string value)
    {
        await using var server = await FtpPeer.StartAsync("--user", "bob:pw", option, value);
        var sha = server.Put("many.bin", 4 * 1024 * 1024);
        var request = Request(server.For("many.bin"), temp.File("many.bin"), 4) with { Credential = new NetworkCredential("bob", "pw"), AllowUnencryptedAuthentication = true };

        var result = await Engine(server).DownloadAsync(request, 1, default);

        Assert.Equal(sha, Sha256(temp.File("many.bin")));
        var warning = Assert.Single(Observer.Warnings);
        Assert.Contains("refused another login", warning, StringComparison.Ordinal);
        Assert.Contains("continuing with 2 connections instead of 4", warning, StringComparison.Ordinal);
        Assert.Contains(option == "--max-logins" ? "530" : "421", warning, StringComparison.Ordinal);
        Assert.Equal(2, server.Commands.Where(c => c.Line.StartsWith("RETR ", StringComparison.Ordinal)).Select(c => c.Session).Distinct().Count());
        Assert.Equal(4 * 1024 * 1024, result.Length); // (result.Connections counts the engine's workers, which shared the two)
    }

    [Theory]
    [InlineData("--no-rest", "REST STREAM")]
    [InlineData("--no-size", "SIZE")]
    public async Task AServerWithoutRestOrSizeDownloadsFromZeroOnOneConnectionWithAWarning(string option, string missing)
    {
        await using var server = await FtpPeer.StartAsync(option);
        var sha = server.Put("plain.bin", 1024 * 1024 + 5);

        var result = await Engine(server).DownloadAsync(Request(server.For("plain.bin"), temp.File("plain.bin"), 4), 1, default);

        Assert.Equal(sha, Sha256(temp.File("plain.bin")));
        Assert.Equal(1, result.Connections);
        Assert.Single(Observer.Warnings, w => w.Contains($"({missing})", StringComparison.Ordinal) && w.Contains("from byte 0 on one connection", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Commands, c => c.Line.StartsWith("REST ", StringComparison.Ordinal) && c.Line != "REST 0");
    }

    [Fact]
    public async Task APassingRefusalOfRestIsRetriedNotTakenForAServerThatCannotResume()
    {
        // No FEAT, so the client asks with REST 0, and the first REST gets 450: a "no" would mean one connection from 0.
        await using var server = await FtpPeer.StartAsync("--rest-busy-once");
        var sha = server.Put("busy.bin", 4 * 1024 * 1024);

        var result = await Engine(server).DownloadAsync(Request(server.For("busy.bin"), temp.File("busy.bin"), 4), 1, default);

        Assert.Equal(sha, Sha256(temp.File("busy.bin")));
        Assert.DoesNotContain(Observer.Warnings, w => w.Contains("from byte 0 on one connection", StringComparison.Ordinal));
        Assert.Contains(server.Commands, c => c.Line.StartsWith("REST ", StringComparison.Ordinal) && c.Line != "REST 0");
        Assert.True(result.Connections > 1, $"{result.Connections} connection(s)");
    }

    [Fact]
    public async Task AFileThatGrowsDuringTheLastRangeIsStartedOverNotCutAtTheOldSize()
    {
        // One connection, so no later range would check SIZE again: only the data's end can tell.
        await using var server = await FtpPeer.StartAsync("--rate", "1000000");
        server.Put("dropbox.bin", 2 * 1024 * 1024);
        var path = Path.Combine(server.Root, "dropbox.bin");
        var download = Engine(server).DownloadAsync(Request(server.For("dropbox.bin"), temp.File("dropbox.bin"), 1), 1, default);
        await server.WaitForLogAsync(s => s.Commands.Any(c => c.Line == "RETR dropbox.bin"));
        await Task.Delay(300);
        await File.AppendAllTextAsync(path, new string('x', 5000));

        var result = await download;

        Assert.Equal((2 * 1024 * 1024) + 5000, result.Length);
        Assert.Equal(Sha256(path), Sha256(temp.File("dropbox.bin")));
        Assert.True(result.Restarted);
    }

    [Theory]
    [InlineData("alice\r\nDELE a.bin", "right")]
    [InlineData("alice", "right\r\nSITE x")]
    public async Task ALineBreakInTheCredentialIsRefusedBeforeAnyTraffic(string user, string password)
    {
        await using var server = await FtpPeer.StartAsync("--tls", "--user", "alice:right");
        server.Put("a.bin", 10);
        var request = Request(server.For("a.bin"), temp.File("a.bin"), 1) with { Credential = new NetworkCredential(user, password) };

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(request, 1, default));

        Assert.Equal(TransferErrorKind.InvalidArgument, failure.Kind);
        Assert.Contains("line break", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("right", failure.Message, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.Empty(server.Commands);
    }

    [Fact]
    public async Task APasswordOverPlainFtpIsRefusedBeforeAnyTraffic()
    {
        await using var server = await FtpPeer.StartAsync("--user", "alice:right");
        server.Put("a.bin", 10);
        var request = Request(server.For("a.bin"), temp.File("a.bin"), 1) with { Credential = new NetworkCredential("alice", "right") };

        var failure = await Assert.ThrowsAsync<TransferException>(() => Engine(server).DownloadAsync(request, 1, default));

        Assert.Equal(TransferErrorKind.InvalidArgument, failure.Kind);
        Assert.Contains("-AllowUnencryptedAuthentication", failure.Message, StringComparison.Ordinal);
        await Task.Delay(200);
        Assert.Empty(server.Commands);
    }

    [Theory]
    [InlineData("ftp://user:secret@127.0.0.1/a.bin", "-Credential")]
    [InlineData("ftp://127.0.0.1/pub/", "directory")]
    [InlineData("ftp://127.0.0.1/", "directory")]
    [InlineData("ftps://127.0.0.1/a%0D%0AQUIT", "line break")]
    public void BadAddressesAreRefusedBeforeAnyTrafficNamingTheFix(string address, string fix)
    {
        var request = Request(new Uri(address), temp.File("x"), 1);

        var failure = Assert.Throws<TransferException>(() => FtpByteSource.Validate(request));

        Assert.Equal(TransferErrorKind.InvalidArgument, failure.Kind);
        Assert.Contains(fix, failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", failure.Message, StringComparison.Ordinal);
    }

    /// <summary>The size of the files a throttled server sends (1 MB/s per connection after a burst of 2 MB): long enough to interrupt.</summary>
    private const int Throttled = 6 * 1024 * 1024;

    private static DownloadRequest Request(Uri uri, string target, int connections, ExistingTargetPolicy policy = ExistingTargetPolicy.Fail) => new()
    {
        Uri = uri,
        OutputPath = target,
        Connections = connections,
        ExistingTarget = policy,
        MaxRetries = 3,
        RetryInterval = TimeSpan.FromMilliseconds(50),
        StallTimeout = TimeSpan.FromSeconds(10),
    };

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>Bytes the state file records as on disk.</summary>
    private static long SavedBytes(string target)
    {
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(target + ".rtstate"));
        return json.RootElement.GetProperty("segments").EnumerateArray().Sum(s => s.GetProperty("next").GetInt64() - s.GetProperty("start").GetInt64());
    }

    private DownloadEngine Engine(FtpPeer server) =>
        new(request => new FtpByteSource(request, Observer, TimeProvider.System, server.Trust), TimeProvider.System, Observer);

    /// <summary>Starts a download of a throttled file and cancels it once about a quarter is saved.</summary>
    private async Task InterruptAsync(FtpPeer server, string target)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(700));
        var name = Path.GetFileName(target);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Engine(server).DownloadAsync(Request(server.For(name), target, 2), 1, stop.Token));
        Assert.True(File.Exists(target + ".rtstate"));
    }
}
