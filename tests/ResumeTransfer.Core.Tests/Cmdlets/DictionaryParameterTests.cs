using System.Collections;
using System.Management.Automation;
using ResumeTransfer.Cmdlets;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

public sealed class DictionaryParameterTests
{
    [Fact]
    public void ValuesOfAnyTypeBecomeTextAndArraysAreJoined()
    {
        var headers = DictionaryParameter.Headers(new Hashtable
        {
            ["X-Number"] = 42,
            ["X-List"] = new object[] { "a", new PSObject("b") },
            ["X-Wrapped"] = new PSObject("c"),
            ["X-Empty"] = null,
        });

        Assert.Equal("42", headers["X-Number"]);
        Assert.Equal("a, b", headers["X-List"]);
        Assert.Equal("c", headers["x-wrapped"]);
        Assert.Equal(string.Empty, headers["X-Empty"]);
    }

    [Theory]
    [InlineData("", "v")]
    [InlineData("Bad Name", "v")]
    [InlineData("Bad:Name", "v")]
    [InlineData("X-Injected", "v\r\nHost: elsewhere")]
    public void MalformedHeadersAreInvalidArgument(string name, string value)
    {
        var ex = Assert.Throws<TransferException>(() => DictionaryParameter.Headers(new Hashtable { [name] = value }));

        Assert.Equal(TransferErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("-Headers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MetadataValuesBecomeInvariantText()
    {
        var metadata = DictionaryParameter.Metadata(new Hashtable { ["build"] = 1.5, ["owner"] = new PSObject("ops") });

        Assert.Equal("1.5", metadata["build"]);
        Assert.Equal("ops", metadata["OWNER"]);
    }

    [Theory]
    [InlineData("two words", "v")]
    [InlineData("key", "line\nbreak")]
    public void MalformedMetadataIsInvalidArgumentNamingTheParameter(string name, string value)
    {
        var ex = Assert.Throws<TransferException>(() => DictionaryParameter.Metadata(new Hashtable { [name] = value }));

        Assert.Equal(TransferErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("-Metadata", ex.Message, StringComparison.Ordinal);
    }
}
