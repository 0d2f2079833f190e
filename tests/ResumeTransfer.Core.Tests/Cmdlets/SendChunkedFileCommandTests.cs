using System.Collections;
using System.Management.Automation;
using ResumeTransfer.Core.Tests.ChunkApi;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.TestServer;
using ResumeTransfer.TestServer.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>
/// Send-ChunkedFile hosted in a real runspace (Microsoft.PowerShell.SDK) against the chunk API reference receiver on a
/// real socket (<see cref="ChunkApiServer"/>: its storage directory holds the merged files, its log every chunk). The
/// fault-injecting <see cref="TestServerHost"/> serves as the place where requests that must not happen would show up.
/// </summary>
public sealed class SendChunkedFileCommandTests : IClassFixture<TestServerFixture>, IAsyncLifetime, IDisposable
{
    private const long Chunk = 64 * 1024;

    private readonly TestServerHost logServer;
    private readonly PowerShellSession session = new();
    private ChunkApiServer? receiver;

    public SendChunkedFileCommandTests(TestServerFixture fixture)
    {
        logServer = fixture.Server;
    }

    private ChunkApiServer Receiver => receiver ?? throw new InvalidOperationException("The receiver is not running.");

    public async Task InitializeAsync() => receiver = await ChunkApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }

    public void Dispose() => session.Dispose();

    [Fact]
    public void GetChildItemPipelineUploadsEveryFileWithAProgressBarEachAndTheMergedFilesHaveTheirSha256()
    {
        var sizes = new Dictionary<string, long> { ["one.bin"] = 1, ["two.bin"] = 300_000, ["three.bin"] = (3 * Chunk) + 17 };
        foreach (var (name, size) in sizes)
        {
            WriteSource(name, size);
        }

        File.WriteAllText(session.PathOf("notes.txt"), "not matched by the filter");

        var (ps, output) = session.Run(
            "param($u) Get-ChildItem -File -Filter *.bin | Send-ChunkedFile -Uri $u -ChunkSize 64KB -Connections 2 -ThrottleLimit 2 -PassThru",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        var results = output.Select(o => Assert.IsType<UploadResult>(o.BaseObject)).ToList();
        Assert.Equal(sizes.Keys.Order(), results.Select(r => Path.GetFileName(r.Path)).Order());
        foreach (var result in results)
        {
            Assert.Equal(UploadProtocolKind.ChunkApi, result.Protocol);
            Assert.Equal(sizes[Path.GetFileName(result.Path)], result.Length);
            Assert.Equal(PowerShellSession.Sha256OfFile(result.Path), PowerShellSession.Sha256OfFile(MergedFile(result)));
        }

        Assert.Empty(Directory.GetFiles(session.Directory, "*" + UploadStateStore.Extension + "*"));
        var byActivity = ps.Streams.Progress.GroupBy(r => r.ActivityId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(new[] { 0, 1, 2, 3 }, byActivity.Keys.Order());
        Assert.All(byActivity.Values, records => Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType));
        Assert.Equal("Uploading 3 files", byActivity[0][^1].Activity);
        Assert.All(new[] { 1, 2, 3 }, id => Assert.StartsWith("Uploading ", byActivity[id][0].Activity, StringComparison.Ordinal));
    }

    [Fact]
    public void PathBindsFromPipedStringsAndFromAPathPropertyRelativeToThePowerShellLocation()
    {
        Directory.CreateDirectory(session.PathOf("sub"));
        var first = WriteSource(Path.Combine("sub", "by-value.bin"), 70_000, seed: 2);
        var second = WriteSource(Path.Combine("sub", "by-property.bin"), 5_000, seed: 3);

        var (ps, output) = session.Run(
            "param($u) Set-Location sub; 'by-value.bin' | Send-ChunkedFile -Uri $u -PassThru; [pscustomobject]@{ Path = 'by-property.bin'; Uri = $u } | Send-ChunkedFile -PassThru",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        var results = output.Select(o => Assert.IsType<UploadResult>(o.BaseObject)).ToList();
        Assert.Equal(new[] { first, second }, results.Select(r => r.Path));
        Assert.All(results, r => Assert.Equal(PowerShellSession.Sha256OfFile(r.Path), PowerShellSession.Sha256OfFile(MergedFile(r))));
    }

    [Fact]
    public void WhatIfSendsNothingAndWritesNoState()
    {
        WriteSource("a.bin", 10_000);
        WriteSource("b.bin", 20_000);

        var (ps, output) = session.Run(
            "param($u) Get-ChildItem -File | Send-ChunkedFile -Uri $u -WhatIf; Send-ChunkedFile a.bin s3://bucket/prefix/ -Endpoint http://127.0.0.1:9/ -WhatIf",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        Assert.Empty(output);
        Assert.Empty(Receiver.Log.All);
        Assert.Equal(new[] { "a.bin", "b.bin" }, Directory.GetFileSystemEntries(session.Directory).Select(Path.GetFileName).Order());
    }

    public static TheoryData<string, string, string> TooSmallChunkSizes() => new()
    {
        { "Tus", "1KB", "65536" },
        { "S3", "1MB", "5242880" },
        { "ChunkApi", "0", "1" },
    };

    [Theory]
    [MemberData(nameof(TooSmallChunkSizes))]
    public void AChunkSizeBelowTheProtocolMinimumIsInvalidArgumentBeforeAnyRequest(string protocol, string chunkSize, string minimum)
    {
        var tag = TestTags.New();
        var bucket = "rt-" + Guid.NewGuid().ToString("N");
        var source = WriteSource("small-chunks.bin", 10_000);
        var uri = protocol == "S3" ? new Uri($"s3://{bucket}/key") : logServer.Url($"files/upload?tag={tag}");

        var (ps, output) = session.Run(
            $"param($u, $endpoint) Send-ChunkedFile small-chunks.bin $u -Protocol {protocol} -ChunkSize {chunkSize} -Endpoint $endpoint -PassThru",
            new Hashtable { ["u"] = uri, ["endpoint"] = logServer.BaseUri });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Equal(source, error.TargetObject);
        Assert.Contains($"minimum of {minimum} bytes", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("-ChunkSize", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(output);
        Assert.Empty(logServer.Log.ForTag(tag));
        Assert.DoesNotContain(logServer.Log.All, r => r.PathAndQuery.Contains(bucket, StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(session.Directory, "*" + UploadStateStore.Extension + "*"));
    }

    [Fact]
    public void PassThruReturnsTheUploadResultWithItsFields()
    {
        const long size = (10 * Chunk) + 3;
        var source = WriteSource("result.bin", size, seed: 7);

        var (ps, output) = session.Run(
            "param($u) Send-ChunkedFile -Path result.bin -Uri $u -Protocol ChunkApi -ChunkSize 64KB -Connections 3 -Metadata @{ owner = 'ops' } -PassThru",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<UploadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(source, result.Path);
        Assert.Equal(Receiver.Url, result.Uri);
        Assert.Equal(UploadProtocolKind.ChunkApi, result.Protocol);
        Assert.Equal(size, result.Length);
        Assert.Equal(size, result.BytesSent);
        Assert.Equal(0, result.BytesSkipped);
        Assert.Equal(Chunk, result.ChunkSize);
        Assert.Equal(3, result.Connections);
        Assert.False(result.Restarted);
        Assert.Matches("^[0-9a-f]{32}$", result.UploadId);
        Assert.NotNull(result.UploadUrl);
        Assert.False(string.IsNullOrEmpty(result.Target));
        Assert.Equal(PowerShellSession.Sha256OfFile(source), result.Hash, ignoreCase: true);
        Assert.Equal(PowerShellSession.Sha256OfFile(source), PowerShellSession.Sha256OfFile(MergedFile(result)));
        Assert.True(result.Duration > TimeSpan.Zero);
        Assert.Equal(11, Receiver.Log.ForUpload(result.UploadId!).Count(e => e.Operation == ChunkApiOperation.Chunk && e.StatusCode == 201));
    }

    [Fact]
    public void OneFailingItemIsANonTerminatingErrorAndTheOthersAreUploaded()
    {
        WriteSource("a.bin", 40_000, seed: 1);
        var refused = WriteSource("refused?.bin", 1_000, seed: 2);
        WriteSource("c.bin", 50_000, seed: 3);

        var (ps, output) = session.Run(
            "param($u) 'a.bin', 'missing.bin', 'refused?.bin', 'c.bin' | Send-ChunkedFile -Uri $u -ThrottleLimit 1 -PassThru",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Equal(2, ps.Streams.Error.Count);
        var missing = ps.Streams.Error[0];
        Assert.StartsWith("NotFound,", missing.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.CategoryInfo.Category);
        Assert.Equal("missing.bin", missing.TargetObject);
        var rejected = ps.Streams.Error[1];
        Assert.StartsWith("InvalidFileName,", rejected.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(refused, rejected.TargetObject);
        var results = output.Select(o => Assert.IsType<UploadResult>(o.BaseObject)).ToList();
        Assert.Equal(new[] { "a.bin", "c.bin" }, results.Select(r => Path.GetFileName(r.Path)));
        Assert.All(results, r => Assert.Equal(PowerShellSession.Sha256OfFile(r.Path), PowerShellSession.Sha256OfFile(MergedFile(r))));
    }

    [Fact]
    public void StateFilesOfOtherUploadsInAListingAreSkippedWithAWarning()
    {
        WriteSource("data.bin", 3_000);
        File.WriteAllText(session.PathOf("other.bin" + UploadStateStore.Extension), "{}");
        File.WriteAllText(session.PathOf("other.bin" + UploadStateStore.Extension + ".lock"), string.Empty);

        var (ps, output) = session.Run("param($u) Get-ChildItem -File | Send-ChunkedFile -Uri $u -PassThru", new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        Assert.Equal(2, ps.Streams.Warning.Count);
        Assert.All(ps.Streams.Warning, w => Assert.Contains("other.bin" + UploadStateStore.Extension, w.Message, StringComparison.Ordinal));
        var result = Assert.IsType<UploadResult>(Assert.Single(output).BaseObject);
        Assert.Equal("data.bin", Path.GetFileName(result.Path));
    }

    [Fact]
    public void ResumeWithForceIsATerminatingParameterErrorBeforeAnyRequest()
    {
        WriteSource("x.bin", 1_000);
        var ps = session.Create();
        ps.AddCommand("Send-ChunkedFile").AddParameter("Path", "x.bin").AddParameter("Uri", Receiver.Url).AddParameter("Resume").AddParameter("Force");

        var ex = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke());

        Assert.StartsWith("InvalidArgument,", ex.ErrorRecord.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-Resume", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Receiver.Log.All);
    }

    [Fact]
    public async Task StopLeavesAResumableUploadAndResumeSendsOnlyWhatTheServerLacks()
    {
        const int connections = 2;
        const int chunks = 48;
        await using var slow = await ChunkApiServer.StartAsync(faults: new ChunkApiFaults { ChunkDelay = TimeSpan.FromMilliseconds(50) });
        var source = WriteSource("stop.bin", chunks * Chunk, seed: 11);
        var state = source + UploadStateStore.Extension;

        using (var ps = session.Create())
        {
            ps.AddCommand("Send-ChunkedFile").AddParameter("Path", "stop.bin").AddParameter("Uri", slow.Url)
                .AddParameter("ChunkSize", Chunk).AddParameter("Connections", connections);
            var running = ps.BeginInvoke();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (slow.Log.All.Count(e => e.Operation == ChunkApiOperation.Chunk && e.StatusCode == 201) < 8 && !running.IsCompleted && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(10);
            }

            Assert.False(running.IsCompleted, "The slowed upload ended before it could be stopped.");
            ps.Stop();

            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(running));
        }

        Assert.True(File.Exists(state), "No upload state after the stop.");
        var recorded = UploadState.FromJson(File.ReadAllText(state), state);
        var uploadId = recorded.UploadId!;
        await WaitForQuietAsync(slow.Log);
        var firstRun = slow.Log.ForUpload(uploadId).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();
        var heldAfterFirst = firstRun.Where(e => e.StatusCode is 200 or 201).Select(e => e.Chunk!.Value).ToHashSet();
        var touchedInFirst = firstRun.Select(e => e.Chunk!.Value).ToHashSet();
        Assert.InRange(heldAfterFirst.Count, 8, chunks - 1);
        Assert.DoesNotContain(slow.Log.ForUpload(uploadId), e => e.Operation == ChunkApiOperation.Merge);

        // Without -Resume the unfinished upload is an error that touches nothing.
        var (again, _) = session.Run("param($u) Send-ChunkedFile stop.bin $u", new Hashtable { ["u"] = slow.Url });
        var exists = Assert.Single(again.Streams.Error);
        Assert.StartsWith("TargetExists,", exists.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ResourceExists, exists.CategoryInfo.Category);

        // A chunk size the protocol refuses is refused on resume too, although the upload keeps its recorded size.
        var (badSize, _) = session.Run("param($u) Send-ChunkedFile stop.bin $u -Resume -ChunkSize 0", new Hashtable { ["u"] = slow.Url });
        Assert.StartsWith("InvalidArgument,", Assert.Single(badSize.Streams.Error).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(recorded.ToJson(), UploadState.FromJson(File.ReadAllText(state), state).ToJson());
        var before = slow.Log.ForUpload(uploadId).Count;

        var (resumed, output) = session.Run(
            "param($u) Send-ChunkedFile stop.bin $u -Connections 2 -Resume -PassThru",
            new Hashtable { ["u"] = slow.Url });

        Assert.Empty(resumed.Streams.Error);
        var result = Assert.IsType<UploadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(uploadId, result.UploadId);
        Assert.False(result.Restarted);
        Assert.Equal(result.Length, result.BytesSkipped + result.BytesSent);
        var secondRun = slow.Log.ForUpload(uploadId).Skip(before).Where(e => e.Operation == ChunkApiOperation.Chunk).ToList();

        // Parts the state recorded are never sent again; the server may also hold chunks whose answer the stop cut off
        // (not recorded, so the engine sends them again: they are among the chunks in flight, at most one per connection).
        var journal = recorded.Parts.Select(p => (long)p.Number - 1).ToHashSet();
        Assert.NotEmpty(journal);
        Assert.DoesNotContain(secondRun, e => journal.Contains(e.Chunk!.Value));
        Assert.InRange(result.BytesSkipped, journal.Count * Chunk, heldAfterFirst.Count * Chunk);
        var sentAgain = secondRun.Select(e => e.Chunk!.Value).Where(touchedInFirst.Contains).Distinct().ToList();
        Assert.True(sentAgain.Count <= connections, $"chunks sent in both runs: {string.Join(", ", sentAgain)}");
        Assert.Equal(PowerShellSession.Sha256OfFile(source), PowerShellSession.Sha256OfFile(Path.Combine(slow.StorageDirectory, uploadId, "merged", "stop.bin")));
        Assert.False(File.Exists(state));
    }

    private string WriteSource(string relativePath, long size, int seed = 1) => SourceFiles.Create(session.PathOf(relativePath), size, seed);

    private string MergedFile(UploadResult result) =>
        Path.Combine(Receiver.StorageDirectory, result.UploadId!, "merged", Path.GetFileName(result.Path));

    /// <summary>Waits until no chunk request of a stopped client is still being answered (aborted ones are logged late).</summary>
    private static async Task WaitForQuietAsync(ChunkApiLog log)
    {
        var count = -1;
        for (var i = 0; i < 100 && log.All.Count != count; i++)
        {
            count = log.All.Count;
            await Task.Delay(100);
        }
    }
}
