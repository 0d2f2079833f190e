using System.Collections;
using System.Management.Automation;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.TestServer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>Save-ResumableFile hosted in a real runspace (Microsoft.PowerShell.SDK) against the in-process test server.</summary>
public sealed class SaveResumableFileCommandTests : IClassFixture<TestServerFixture>, IDisposable
{
    private readonly TestServerHost server;
    private readonly PowerShellSession session = new();

    public SaveResumableFileCommandTests(TestServerFixture fixture)
    {
        server = fixture.Server;
    }

    public void Dispose() => session.Dispose();

    [Fact]
    public void PipelineRowsBindByUrlAndDestinationAndAllFilesArrive()
    {
        var tag = TestTags.New();
        var sizes = new[] { 300_000L, 1_048_576L + 17, 5L };
        var rows = sizes.Select((size, i) => PowerShellSession.Row(
            ("Url", FileUrl($"f{i}.bin", size, tag, seed: i + 1).ToString()),
            ("Destination", $"f{i}.bin"))).ToArray();

        var (ps, output) = session.Run("param($rows) $rows | Save-ResumableFile -ThrottleLimit 2 -Connections 2", new Hashtable { ["rows"] = rows });

        Assert.Empty(ps.Streams.Error);
        Assert.Empty(output);
        for (var i = 0; i < sizes.Length; i++)
        {
            Assert.Equal(server.Sha256(sizes[i], seed: i + 1), PowerShellSession.Sha256OfFile(session.PathOf($"f{i}.bin")));
        }

        Assert.Empty(Directory.GetFiles(session.Directory, "*.rt*"));
    }

    [Fact]
    public void OneMissingFileIsOneNonTerminatingErrorAndTheOthersComplete()
    {
        var tag = TestTags.New();
        var good1 = FileUrl("a.bin", 200_000, tag, seed: 3);
        var missing = server.Url($"files/missing.bin?size=10&tag={tag}&fault=status&code=404");
        var good2 = FileUrl("c.bin", 100_000, tag, seed: 4);
        var rows = new[]
        {
            PowerShellSession.Row(("Url", good1.ToString()), ("Destination", "a.bin")),
            PowerShellSession.Row(("Url", missing.ToString()), ("Destination", "b.bin")),
            PowerShellSession.Row(("Url", good2.ToString()), ("Destination", "c.bin")),
        };

        var (ps, output) = session.Run("param($rows) $rows | Save-ResumableFile -ThrottleLimit 2 -PassThru", new Hashtable { ["rows"] = rows });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("NotFound,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        // The query may carry a signature or token: the error record names the address with it masked.
        Assert.Equal(new Uri(server.Url("files/missing.bin").AbsoluteUri + "?***"), error.TargetObject);
        Assert.Equal(2, output.Count);
        Assert.Equal(server.Sha256(200_000, seed: 3), PowerShellSession.Sha256OfFile(session.PathOf("a.bin")));
        Assert.Equal(server.Sha256(100_000, seed: 4), PowerShellSession.Sha256OfFile(session.PathOf("c.bin")));
        Assert.False(File.Exists(session.PathOf("b.bin")));
    }

    [Fact]
    public void WhatIfCreatesNothingAndSendsNoRequest()
    {
        var tag = TestTags.New();
        var (ps, output) = session.Run(
            "param($u1, $u2) Save-ResumableFile -Uri $u1 -OutFile one.bin -WhatIf; Save-ResumableFile -Uri $u2 -OutFile newdir/ -WhatIf",
            new Hashtable { ["u1"] = FileUrl("one.bin", 1000, tag), ["u2"] = FileUrl("two.bin", 1000, tag) });

        Assert.Empty(ps.Streams.Error);
        Assert.Empty(output);
        Assert.Empty(Directory.GetFileSystemEntries(session.Directory));
        Assert.Empty(server.Log.ForTag(tag));
    }

    [Fact]
    public void ResumeWithForceIsAParameterErrorBeforeAnyRequest()
    {
        var tag = TestTags.New();
        var ps = session.Create();
        ps.AddCommand("Save-ResumableFile").AddParameter("Uri", FileUrl("x.bin", 1000, tag)).AddParameter("OutFile", "x.bin")
            .AddParameter("Resume").AddParameter("Force");

        var ex = Assert.ThrowsAny<RuntimeException>(() => ps.Invoke());

        Assert.StartsWith("InvalidArgument,", ex.ErrorRecord.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, ex.ErrorRecord.CategoryInfo.Category);
        Assert.Contains("-Resume", ex.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", ex.Message, StringComparison.Ordinal);
        Assert.Empty(server.Log.ForTag(tag));
        Assert.False(File.Exists(session.PathOf("x.bin")));
    }

    [Fact]
    public void ExistingTargetWithoutResumeOrForceIsTargetExistsAndUntouched()
    {
        var tag = TestTags.New();
        var target = session.PathOf("exists.bin");
        File.WriteAllText(target, "keep me");

        var (ps, _) = session.Run("param($u) Save-ResumableFile $u exists.bin", new Hashtable { ["u"] = FileUrl("exists.bin", 5000, tag) });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("TargetExists,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.ResourceExists, error.CategoryInfo.Category);
        Assert.Equal("keep me", File.ReadAllText(target));
    }

    [Fact]
    public void PassThruReturnsTheResultOfTheFinishedFile()
    {
        var tag = TestTags.New();
        const long size = 777_777;

        var (ps, output) = session.Run(
            "param($u) Save-ResumableFile -Uri $u -OutFile result.bin -PassThru",
            new Hashtable { ["u"] = FileUrl("result.bin", size, tag, seed: 9) });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<DownloadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(size, result.Length);
        Assert.Equal(session.PathOf("result.bin"), result.Path);
        Assert.Equal(server.Sha256(size, seed: 9), PowerShellSession.Sha256OfFile(result.Path));
        Assert.Equal("SHA256", result.HashAlgorithm);
        Assert.Equal(server.Sha256(size, seed: 9), result.Hash);
    }

    [Fact]
    public void RelativeOutFileIsResolvedAgainstThePowerShellLocation()
    {
        var tag = TestTags.New();
        Directory.CreateDirectory(session.PathOf("sub"));

        var (ps, _) = session.Run(
            "param($u) Set-Location sub; Save-ResumableFile -Uri $u -OutFile rel.bin",
            new Hashtable { ["u"] = FileUrl("rel.bin", 4096, tag) });

        Assert.Empty(ps.Streams.Error);
        Assert.Equal(server.Sha256(4096), PowerShellSession.Sha256OfFile(Path.Combine(session.PathOf("sub"), "rel.bin")));
    }

    [Fact]
    public void DirectoryOutFileTakesTheNameFromTheUrlAndIsCreatedWhenItEndsInASeparator()
    {
        var tag = TestTags.New();

        var (ps, output) = session.Run(
            "param($u) Save-ResumableFile -Uri $u -OutFile downloads/ -PassThru",
            new Hashtable { ["u"] = FileUrl("named.bin", 2048, tag) });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<DownloadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(Path.Combine(session.PathOf("downloads"), "named.bin"), result.Path);
        Assert.Equal(server.Sha256(2048), PowerShellSession.Sha256OfFile(result.Path));
    }

    [Fact]
    public void UnknownSchemeIsAnInvalidArgumentErrorAndThePipelineGoesOn()
    {
        var tag = TestTags.New();
        var rows = new[]
        {
            PowerShellSession.Row(("Url", "gopher://127.0.0.1/file.bin"), ("Destination", "gopher.bin")),
            PowerShellSession.Row(("Url", FileUrl("after.bin", 1000, tag).ToString()), ("Destination", "after.bin")),
        };

        var (ps, _) = session.Run("param($rows) $rows | Save-ResumableFile", new Hashtable { ["rows"] = rows });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("gopher://127.0.0.1/file.bin", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("ftps://", error.Exception.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(session.PathOf("gopher.bin")));
        Assert.Equal(server.Sha256(1000), PowerShellSession.Sha256OfFile(session.PathOf("after.bin")));
    }

    [Fact]
    public void ProgressHasABarPerFileUnderAParentAndEndsEachWithCompleted()
    {
        var tag = TestTags.New();
        var rows = Enumerable.Range(0, 3).Select(i => PowerShellSession.Row(
            ("Url", FileUrl($"p{i}.bin", 400_000, tag, seed: 20 + i).ToString()),
            ("Destination", $"p{i}.bin"))).ToArray();

        var (ps, _) = session.Run("param($rows) $rows | Save-ResumableFile -ThrottleLimit 2", new Hashtable { ["rows"] = rows });

        Assert.Empty(ps.Streams.Error);
        var byActivity = ps.Streams.Progress.GroupBy(r => r.ActivityId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(new[] { 0, 1, 2, 3 }, byActivity.Keys.Order());
        foreach (var (id, records) in byActivity)
        {
            Assert.Equal(ProgressRecordType.Completed, records[^1].RecordType);
            Assert.Contains(records, r => r.RecordType == ProgressRecordType.Processing);
            if (id != 0)
            {
                Assert.StartsWith("Downloading ", records[0].Activity, StringComparison.Ordinal);
                Assert.Equal(0, records[^1].ParentActivityId);
            }
        }

        Assert.Equal("Downloading 3 files", byActivity[0][^1].Activity);
    }

    [Fact]
    public void StopEndsTheDownloadResumablyAndResumeCompletesIt()
    {
        var tag = TestTags.New();
        const long size = 3 * 1024 * 1024;
        var url = server.Url($"files/stop.bin?size={size}&seed=5&tag={tag}&rate=524288");
        var target = session.PathOf("stop.bin");

        using (var ps = session.Create())
        {
            ps.AddCommand("Save-ResumableFile").AddParameter("Uri", url).AddParameter("OutFile", "stop.bin").AddParameter("Connections", 2);
            var running = ps.BeginInvoke();
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (server.Log.ForTag(tag).Sum(r => r.BodyBytesSent) < 256 * 1024 && !running.IsCompleted && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }

            // (Not ps.Streams.Error in the message: enumerating a running pipeline's stream blocks until it ends.)
            Assert.False(running.IsCompleted, "The throttled download ended before it could be stopped.");
            ps.Stop();

            Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
            Assert.Throws<PipelineStoppedException>(() => ps.EndInvoke(running));
        }

        Assert.True(File.Exists(target + ".rtstate"), "No state file after the stop.");
        Assert.False(File.Exists(target));

        var (resumed, output) = session.Run(
            "param($u) Save-ResumableFile -Uri $u -OutFile stop.bin -Connections 2 -Resume -PassThru",
            new Hashtable { ["u"] = url });

        Assert.Empty(resumed.Streams.Error);
        var result = Assert.IsType<DownloadResult>(Assert.Single(output).BaseObject);
        Assert.True(result.BytesResumed > 0, "The second run started from zero instead of resuming.");
        Assert.Equal(server.Sha256(size, seed: 5), PowerShellSession.Sha256OfFile(target));
        Assert.False(File.Exists(target + ".rtstate"));
    }

    [Fact]
    public void HeadersUserAgentAndCredentialAreSent()
    {
        var tag = TestTags.New();
        var url = server.Url($"auth/files/auth.bin?size=70000&tag={tag}&user=alice&pass=s3cret");

        var (ps, _) = session.Run(
            "param($u, $cred) Save-ResumableFile $u auth.bin -Credential $cred -AllowUnencryptedAuthentication -UserAgent 'rt-test/1' -Headers @{ 'X-Test' = 'a', 'b' }",
            new Hashtable { ["u"] = url, ["cred"] = Credential("alice", "s3cret") });

        Assert.Empty(ps.Streams.Error);
        Assert.Equal(server.Sha256(70000), PowerShellSession.Sha256OfFile(session.PathOf("auth.bin")));
        var requests = server.Log.ForTag(tag);
        Assert.NotEmpty(requests);
        Assert.All(requests, r =>
        {
            Assert.Equal("rt-test/1", r.UserAgent);
            Assert.Equal("a, b", r.Headers["X-Test"]);
            Assert.StartsWith("Basic ", r.Authorization, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void CredentialOverPlainHttpNeedsAllowUnencryptedAuthentication()
    {
        var tag = TestTags.New();
        var url = server.Url($"auth/files/plain.bin?size=1000&tag={tag}&user=alice&pass=s3cret");

        var (ps, _) = session.Run("param($u, $cred) Save-ResumableFile $u plain.bin -Credential $cred", new Hashtable { ["u"] = url, ["cred"] = Credential("alice", "s3cret") });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(server.Log.ForTag(tag));
        Assert.Empty(Directory.GetFileSystemEntries(session.Directory));
    }

    [Fact]
    public void ExpectedHashBindsByPropertyNameAndAMismatchKeepsTheTargetAway()
    {
        var tag = TestTags.New();
        var rows = new[]
        {
            PowerShellSession.Row(("Url", FileUrl("good.bin", 50_000, tag, seed: 7).ToString()), ("Destination", "good.bin"), ("ExpectedHash", server.Sha256(50_000, seed: 7).ToUpperInvariant())),
            PowerShellSession.Row(("Url", FileUrl("bad.bin", 50_000, tag, seed: 8).ToString()), ("Destination", "bad.bin"), ("ExpectedHash", server.Sha256(50_000, seed: 7))),
        };

        var (ps, output) = session.Run("param($rows) $rows | Save-ResumableFile -PassThru", new Hashtable { ["rows"] = rows });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("IntegrityCheckFailed,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidResult, error.CategoryInfo.Category);
        var result = Assert.IsType<DownloadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(server.Sha256(50_000, seed: 7), result.Hash, ignoreCase: true);
        Assert.False(File.Exists(session.PathOf("bad.bin")));
    }

    [Fact]
    public void EmptyCsvCellsMeanTheDefaults()
    {
        var tag = TestTags.New();
        var rows = new[]
        {
            PowerShellSession.Row(("Url", FileUrl("default-dir.bin", 3000, tag).ToString()), ("Destination", ""), ("ExpectedHash", "")),
        };

        var (ps, output) = session.Run("param($rows) $rows | Save-ResumableFile -PassThru", new Hashtable { ["rows"] = rows });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<DownloadResult>(Assert.Single(output).BaseObject);
        Assert.Equal(session.PathOf("default-dir.bin"), result.Path);
        Assert.Equal(server.Sha256(3000), PowerShellSession.Sha256OfFile(result.Path));
    }

    [Fact]
    public void AFilePathInAMissingDirectoryIsInvalidArgumentBeforeAnyRequest()
    {
        var tag = TestTags.New();

        var (ps, _) = session.Run("param($u) Save-ResumableFile $u no/such/dir/file.bin", new Hashtable { ["u"] = FileUrl("file.bin", 10, tag) });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(server.Log.ForTag(tag));
        Assert.Empty(Directory.GetFileSystemEntries(session.Directory));
    }

    private Uri FileUrl(string name, long size, string tag, int seed = 1) =>
        server.Url($"files/{name}?size={size}&seed={seed}&tag={tag}");

    private static PSCredential Credential(string user, string password)
    {
        var secure = new System.Security.SecureString();
        foreach (var c in password)
        {
            secure.AppendChar(c);
        }

        return new PSCredential(user, secure);
    }
}
