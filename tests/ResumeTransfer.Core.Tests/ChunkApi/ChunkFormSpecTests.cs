using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.ChunkApi;

/// <summary>What each chunk API profile sends, and the options that are refused before any traffic.</summary>
public sealed class ChunkFormSpecTests
{
    private static readonly Dictionary<string, string> NoMetadata = new();

    [Fact]
    public void SeedSendsTheBriefsFiveFieldsNumberedFromZeroAndMergesAtMerge()
    {
        var spec = ChunkFormSpec.Create(new ChunkApiProfileOptions { Profile = ChunkApiProfile.Seed }, NoMetadata);

        Assert.Equal(["chunk", "file", "filename", "md5", "total_chunks"], spec.Fields.Select(f => f.Value).Order());
        Assert.Equal(0, spec.NumberBase);
        Assert.Equal("merge", spec.MergePath);
        Assert.False(spec.HasTestCall);
        Assert.False(spec.LastChunkTakesRemainder);
    }

    [Theory]
    [InlineData(ChunkApiProfile.Flow, "flow")]
    [InlineData(ChunkApiProfile.Resumable, "resumable")]
    public void FlowAndResumableSendTheirPrefixedFieldsNumberedFromOneWithATestCallAndNoMerge(ChunkApiProfile profile, string prefix)
    {
        var spec = ChunkFormSpec.Create(new ChunkApiProfileOptions { Profile = profile }, NoMetadata);

        string[] expected = ["ChunkNumber", "ChunkSize", "CurrentChunkSize", "Filename", "Identifier", "RelativePath", "TotalChunks", "TotalSize"];
        Assert.Equal(expected.Select(n => prefix + n).Append("file").Order(StringComparer.Ordinal), spec.Fields.Values.Order(StringComparer.Ordinal));
        Assert.Null(spec.Name(ChunkFormSpec.Md5));
        Assert.Equal(1, spec.NumberBase);
        Assert.Null(spec.MergePath);
        Assert.True(spec.HasTestCall);
        Assert.True(spec.LastChunkTakesRemainder);
    }

    [Fact]
    public void AFieldMapAloneMeansSeedWithThoseNames()
    {
        var options = new ChunkApiProfileOptions { Fields = new Dictionary<string, string> { ["Chunk"] = "index", ["file"] = "blob" }, NumberBase = 1, MergePath = "api/v1/complete" };

        var spec = ChunkFormSpec.Create(options, NoMetadata);

        Assert.Equal(ChunkApiProfile.Seed, spec.Profile);
        Assert.Equal("index", spec.Name(ChunkFormSpec.Chunk));
        Assert.Equal("blob", spec.Name(ChunkFormSpec.File));
        Assert.Equal("md5", spec.Name(ChunkFormSpec.Md5));
        Assert.Equal(1, spec.NumberBase);
        Assert.Equal("api/v1/complete", spec.MergePath);
    }

    public static TheoryData<string, ChunkApiProfileOptions, string> Refused => new()
    {
        { "an unknown field", new() { Profile = ChunkApiProfile.Seed, Fields = new Dictionary<string, string> { ["chunk_number"] = "n" } }, "'chunk_number', which the Seed profile does not send. Its fields are: file, chunk, md5, total_chunks, filename" },
        { "a Flow field on Seed", new() { Fields = new Dictionary<string, string> { ["identifier"] = "id" } }, "'identifier', which the Seed profile does not send" },
        { "md5 on Flow", new() { Profile = ChunkApiProfile.Flow, Fields = new Dictionary<string, string> { ["md5"] = "sum" } }, "'md5', which the Flow profile does not send" },
        { "an empty name", new() { Fields = new Dictionary<string, string> { ["chunk"] = " " } }, "gives the field 'chunk' the name ' '" },
        { "two fields, one name", new() { Fields = new Dictionary<string, string> { ["chunk"] = "filename" } }, "'chunk' and 'filename' the same name 'filename'" },
        { "base 2", new() { NumberBase = 2 }, "-ChunkApiNumberBase 2 is not a numbering base" },
        { "base -1", new() { Profile = ChunkApiProfile.Flow, NumberBase = -1 }, "-ChunkApiNumberBase -1 is not a numbering base" },
        { "an absolute merge path", new() { MergePath = "/merge" }, "-ChunkApiMergePath '/merge' is not a relative path" },
        { "a merge URL", new() { MergePath = "http://elsewhere.example/merge" }, "is not a relative path" },
        { "a merge path up", new() { MergePath = "../merge" }, "is not a relative path" },
        { "a merge path with a query", new() { MergePath = "merge?all=1" }, "is not a relative path" },
        { "an empty merge path", new() { MergePath = string.Empty }, "is not a relative path" },
        { "a merge path on Flow", new() { Profile = ChunkApiProfile.Flow, MergePath = "merge" }, "-ChunkApiMergePath is for servers with a merge call" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedOptionsAreInvalidArgumentNamingTheProblemAndTheFix(string because, ChunkApiProfileOptions options, string expected)
    {
        var error = Assert.Throws<TransferException>(() => options.Validate());

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{because}: {error.Message}");
    }

    [Fact]
    public void MetadataThatWouldOverwriteAFieldIsRefused()
    {
        var error = Assert.Throws<TransferException>(() => new ChunkApiProfileOptions { Profile = ChunkApiProfile.Flow }.Validate(new Dictionary<string, string> { ["flowFilename"] = "x" }));

        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("-Metadata has the key 'flowFilename'", error.Message, StringComparison.Ordinal);
    }
}
