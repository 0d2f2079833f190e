using System.Text.Json;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class DownloadStateStoreTests : IDisposable
{
    private readonly TempDir temp = new("rt-state");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void SavedStateReadsBackAndUsesTheDocumentedNames()
    {
        var store = new DownloadStateStore(temp.File("f.rtstate"));
        var state = new DownloadState
        {
            Uri = "http://example.com/f.bin",
            UriHash = DownloadStateStore.HashUri(new Uri("http://example.com/f.bin?sig=1")),
            AddressHash = DownloadStateStore.HashAddress(new Uri("http://example.com/f.bin?sig=1")),
            Length = 100,
            ETag = "\"abc\"",
            LastModified = new DateTimeOffset(2020, 1, 2, 0, 0, 0, TimeSpan.Zero),
            LastModifiedIsStrong = true,
            SupportsRanges = true,
            Segments = { new DownloadStateSegment { Start = 0, End = 60, Next = 10 }, new DownloadStateSegment { Start = 60, End = 100, Next = 100 } },
            Created = DateTimeOffset.UnixEpoch,
            Updated = DateTimeOffset.UnixEpoch,
        };

        store.Save(state);
        var loaded = store.Load()!;

        Assert.Equal(JsonSerializer.Serialize(state), JsonSerializer.Serialize(loaded));
        using var json = JsonDocument.Parse(File.ReadAllText(store.Path));
        Assert.Equal(
            new[] { "schema", "uri", "uriHash", "addressHash", "length", "etag", "lastModified", "lastModifiedIsStrong", "supportsRanges", "segments", "created", "updated" },
            json.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "start", "end", "next" }, json.RootElement.GetProperty("segments")[0].EnumerateObject().Select(p => p.Name));
        Assert.False(File.Exists(store.Path + ".tmp"));
        Assert.Contains("\"etag\": \"\\\"abc\\\"\"", File.ReadAllText(store.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void MissingFileIsNoState()
    {
        Assert.Null(new DownloadStateStore(temp.File("none.rtstate")).Load());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[]")]
    [InlineData("{\"uri\":\"x\"}")]
    [InlineData("{\"schema\":2,\"future\":true}")]
    [InlineData("{\"schema\":1,\"uriHash\":\"a\",\"length\":100,\"segments\":[{\"start\":0,\"end\":50,\"next\":0}]}")]
    [InlineData("{\"schema\":1,\"uriHash\":\"a\",\"length\":100,\"segments\":[{\"start\":0,\"end\":100,\"next\":101}]}")]
    [InlineData("{\"schema\":1,\"uriHash\":\"a\",\"length\":100,\"segments\":[{\"start\":0,\"end\":60,\"next\":0},{\"start\":50,\"end\":100,\"next\":50}]}")]
    public void UnusableStateIsInvalidStateAndIsLeftInPlace(string content)
    {
        var path = temp.File("bad.rtstate");
        File.WriteAllText(path, content);

        var error = Assert.Throws<TransferException>(() => new DownloadStateStore(path).Load());

        Assert.Equal(TransferErrorKind.InvalidState, error.Kind);
        Assert.Contains("-Force", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(path));
    }

    [Fact]
    public void NewerSchemaSaysToUpdate()
    {
        var path = temp.File("new.rtstate");
        File.WriteAllText(path, "{\"schema\":7}");

        var error = Assert.Throws<TransferException>(() => new DownloadStateStore(path).Load());

        Assert.Contains("newer version", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DisplayStringDropsCredentialsQueryAndFragment()
    {
        var display = DownloadStateStore.DisplayString(new Uri("https://user:pw@example.com:8443/a%20b/file.bin?token=SECRET#frag"));

        Assert.Equal("https://example.com:8443/a%20b/file.bin", display);
    }

    [Fact]
    public void UriHashCoversTheQuery()
    {
        Assert.NotEqual(
            DownloadStateStore.HashUri(new Uri("http://h/f?sig=1")),
            DownloadStateStore.HashUri(new Uri("http://h/f?sig=2")));
        Assert.Matches("^[0-9a-f]{64}$", DownloadStateStore.HashUri(new Uri("http://h/f")));
    }

    [Fact]
    public void DeleteRemovesCrashedTemporariesButNoFileOfASimilarName()
    {
        var store = new DownloadStateStore(temp.File("g.rtstate"));
        File.WriteAllText(store.Path, "{}");
        File.WriteAllText(temp.File("g.rtstate.0123456789abcdef.tmp"), "crashed write");
        File.WriteAllText(temp.File("g.rtstate.tmp"), "an earlier version's temporary file");
        File.WriteAllText(temp.File("g.rtstate.backup.tmp"), "the user's");
        File.WriteAllText(temp.File("g.rtstate.0123456789ABCDEF.tmp"), "not a name ResumeTransfer makes");

        store.Delete();

        Assert.Equal(
            new[] { "g.rtstate.0123456789ABCDEF.tmp", "g.rtstate.backup.tmp" },
            Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
