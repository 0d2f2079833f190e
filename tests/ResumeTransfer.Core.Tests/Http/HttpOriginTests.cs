using ResumeTransfer.Core.Transfer;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

public class HttpOriginTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b?x=1", true)]
    [InlineData("https://Example.com/a", "https://example.com:443/b", true)]
    [InlineData("http://127.0.0.1:8080/a", "http://127.0.0.2:8080/a", false)]
    [InlineData("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a", false)]
    [InlineData("https://example.com/a", "http://example.com/a", false)]
    [InlineData("http://example.com/a", "http://example.com:80/a", true)]
    public void ComparesSchemeHostAndPort(string a, string b, bool same)
    {
        Assert.Equal(same, HttpOrigin.IsSame(new Uri(a), new Uri(b)));
    }

    [Fact]
    public void DisplayFormDropsUserInfoQueryAndFragment()
    {
        var display = HttpOrigin.ForDisplay(new Uri("https://user:secret@example.com:8443/dir/file%20name.iso?X-Amz-Signature=abc#frag"));
        Assert.Equal("https://example.com:8443/dir/file%20name.iso", display.AbsoluteUri);
    }

    [Theory]
    [InlineData("https://user:secret@example.com:8443/dir/a.iso?X-Amz-Signature=abc#frag", "https://***@example.com:8443/dir/a.iso?***")]
    [InlineData("https://TOKEN@example.com/a.iso", "https://***@example.com/a.iso")]
    [InlineData("http://127.0.0.1:8080/a.iso?", "http://127.0.0.1:8080/a.iso")]
    [InlineData("https://example.com/dir/file%20name.iso", "https://example.com/dir/file%20name.iso")]
    public void RedactedFormMasksUserInfoAndQuery(string address, string shown)
    {
        Assert.Equal(shown, HttpOrigin.Redacted(new Uri(address)));
    }

    [Fact]
    public void OriginTextNeverHasUserInfo()
    {
        Assert.Equal("https://example.com:8443", HttpOrigin.OriginText(new Uri("https://user:secret@example.com:8443/a?b=c")));
    }
}
