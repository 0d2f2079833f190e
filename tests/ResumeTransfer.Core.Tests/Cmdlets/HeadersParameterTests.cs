using System.Collections;
using System.Management.Automation;
using ResumeTransfer.Cmdlets;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

public sealed class HeadersParameterTests
{
    [Fact]
    public void ValuesOfAnyTypeBecomeTextAndArraysAreJoined()
    {
        var headers = HeadersParameter.Convert(new Hashtable
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
        var ex = Assert.Throws<TransferException>(() => HeadersParameter.Convert(new Hashtable { [name] = value }));

        Assert.Equal(TransferErrorKind.InvalidArgument, ex.Kind);
    }
}
