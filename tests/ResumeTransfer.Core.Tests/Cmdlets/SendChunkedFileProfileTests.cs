using System.Collections;
using System.Management.Automation;
using ResumeTransfer.Core.Tests.ChunkApi;
using ResumeTransfer.Core.Tests.Upload;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

/// <summary>
/// Send-ChunkedFile -ChunkApiProfile hosted in a real runspace against a receiver written to the product brief
/// (tests/peers/seed-receiver.cjs): how the parameters bind, what -Verbose and -WhatIf say, and the parameter errors.
/// </summary>
public sealed class SendChunkedFileProfileTests : IAsyncLifetime, IDisposable
{
    private readonly PowerShellSession session = new();
    private ExistingChunkServer? receiver;

    private ExistingChunkServer Receiver => receiver ?? throw new InvalidOperationException("The receiver is not running.");

    public async Task InitializeAsync() => receiver = await ExistingChunkServer.StartSeedAsync();

    public async Task DisposeAsync()
    {
        if (receiver is not null)
        {
            await receiver.DisposeAsync();
        }
    }

    public void Dispose() => session.Dispose();

    [Fact]
    public async Task APipedFileGoesToASeedServerWithTheVerboseStoryAndVerifiedFalse()
    {
        var source = SourceFiles.Create(session.PathOf("piped.bin"), (2 * 64 * 1024) + 3, seed: 31);

        var (ps, output) = session.Run(
            "param($u) Get-Item piped.bin | Send-ChunkedFile -Uri $u -ChunkApiProfile Seed -ChunkSize 64KB -PassThru -Verbose",
            new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        var result = Assert.IsType<UploadResult>(Assert.Single(output).BaseObject);
        Assert.False(result.Verified);
        Assert.Null(result.Hash);
        Assert.Equal(SourceFiles.Sha256(source), SourceFiles.Sha256(Receiver.SeedMergedFile("piped.bin")));
        var verbose = string.Join("\n", ps.Streams.Verbose.Select(v => v.Message));
        Assert.Contains("New Seed upload of 'piped.bin' (the server names it by the file name)", verbose, StringComparison.Ordinal);
        Assert.Contains("gives no size or hash to check the file against (Verified is false)", verbose, StringComparison.Ordinal);
        await Receiver.WaitForQuietAsync();
        Assert.Equal(3, Receiver.ChunkPosts.Count);
    }

    [Fact]
    public async Task TwoSeedFilesOfOneNamePipedTogetherAreUploadedOneAfterTheOtherNeverMixed()
    {
        // Seed keeps chunks by file name: a/app.log and b/app.log sent at once would mix under filename=app.log.
        Directory.CreateDirectory(session.PathOf("a"));
        Directory.CreateDirectory(session.PathOf("b"));
        var first = SourceFiles.Create(session.PathOf(Path.Combine("a", "app.log")), (3 * 64 * 1024) - 5, seed: 34);
        var second = SourceFiles.Create(session.PathOf(Path.Combine("b", "app.log")), (3 * 64 * 1024) - 5, seed: 35);
        await using var slow = await ExistingChunkServer.StartSeedAsync("--delay-ms", "150");

        var (ps, _) = session.Run(
            "param($u) Get-Item a/app.log, b/app.log | Send-ChunkedFile -Uri $u -ChunkApiProfile Seed -ChunkSize 64KB -Connections 1 -Verbose",
            new Hashtable { ["u"] = slow.Url });

        Assert.Empty(ps.Streams.Error);
        await slow.WaitForQuietAsync();
        // One upload's three chunks and its merge, then the other's: never a chunk of one between the other's.
        var calls = slow.Log.Select(l => l.Method == "POST" && l.Path == slow.Url.AbsolutePath ? $"chunk{l.Chunk}" : "merge").ToList();
        Assert.Equal(new[] { "chunk0", "chunk1", "chunk2", "merge", "chunk0", "chunk1", "chunk2", "merge" }, calls);
        Assert.All(slow.Log, l => Assert.Equal(200, l.Status));
        Assert.Equal(SourceFiles.Sha256(second), SourceFiles.Sha256(slow.SeedMergedFile("app.log")));
        Assert.NotEqual(SourceFiles.Sha256(first), SourceFiles.Sha256(second));
        var verbose = string.Join("\n", ps.Streams.Verbose.Select(v => v.Message));
        Assert.Contains("waits for the upload of another file named 'app.log'", verbose, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WhatIfSendsNothing()
    {
        SourceFiles.Create(session.PathOf("whatif.bin"), 1000, seed: 32);

        var (ps, output) = session.Run("param($u) Send-ChunkedFile whatif.bin $u -ChunkApiProfile Flow -WhatIf", new Hashtable { ["u"] = Receiver.Url });

        Assert.Empty(ps.Streams.Error);
        Assert.Empty(output);
        await Task.Delay(200);
        Assert.Empty(Receiver.Log);
        Assert.Empty(Directory.GetFiles(session.Directory, "*" + UploadStateStore.Extension + "*"));
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "-ChunkApiFields @{ index = 'i' }", "'index', which the Seed profile does not send" },
        { "-ChunkApiProfile Flow -ChunkApiFields @{ md5 = 'sum' }", "'md5', which the Flow profile does not send" },
        { "-ChunkApiNumberBase 2", "-ChunkApiNumberBase 2 is not a numbering base" },
        { "-ChunkApiMergePath /merge", "-ChunkApiMergePath '/merge' is not a relative path" },
        { "-ChunkApiMergePath ../merge", "-ChunkApiMergePath '../merge' is not a relative path" },
        { "-ChunkApiProfile Resumable -ChunkApiMergePath done", "-ChunkApiMergePath is for servers with a merge call" },
        { "-ChunkApiProfile Seed -Protocol S3", "not -Protocol S3" },
        { "-ChunkApiProfile Seed -Metadata @{ md5 = 'x' }", "-Metadata has the key 'md5'" },
        { "-ChunkApiFields @{ chunk = 'a\"b' }", "gives the field 'chunk' the name 'a\"b'" },
        { "-ChunkApiProfile Flow -ChunkApiFields @{ identifier = 'k\u00e9' }", "gives the field 'identifier' the name 'k\u00e9'" },
        { "-ChunkApiProfile Seed -Metadata @{ 'k\u00e9y' = 'x' }", "-Metadata has an invalid metadata key name 'k\u00e9y'" },
        { "-ChunkApiProfile Resumable -Metadata @{ 'a\"b' = 'x' }", "-Metadata has the key 'a\"b', which cannot be a form field name" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task BadProfileOptionsAreATerminatingInvalidArgumentBeforeAnyRequest(string options, string expected)
    {
        SourceFiles.Create(session.PathOf("refused.bin"), 1000, seed: 33);

        // In a script a terminating error of the cmdlet ends its statement: the script's error stream has it.
        var (ps, output) = session.Run($"param($u) Send-ChunkedFile refused.bin $u {options} -PassThru; 'after'", new Hashtable { ["u"] = Receiver.Url });

        var error = Assert.Single(ps.Streams.Error);
        Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains(expected, error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("after", Assert.Single(output).BaseObject);
        await Task.Delay(200);
        Assert.Empty(Receiver.Log);
        Assert.Empty(Directory.GetFiles(session.Directory, "*" + UploadStateStore.Extension + "*"));
    }
}
