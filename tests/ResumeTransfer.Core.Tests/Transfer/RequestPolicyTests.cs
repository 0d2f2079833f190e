using System.Net;
using System.Net.Http;
using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Http;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Transfer;

/// <summary>
/// The one request policy, for both directions: the same options give the same headers whether they come from a
/// download or an upload request. (Against real servers: HttpByteSourceTests' redirect tests and the protocol tests.)
/// </summary>
public sealed class RequestPolicyTests
{
    private static readonly Uri Origin = new("https://files.example.com/a.iso");
    private static readonly Uri SameOrigin = new("https://files.example.com/other/b.iso");
    private static readonly Uri OtherOrigin = new("https://cdn.example.net/a.iso");

    public static TheoryData<string> Directions => new() { "download", "upload" };

    [Theory]
    [MemberData(nameof(Directions))]
    public void EveryUserHeaderAndTheCredentialGoToTheOriginOnly(string direction)
    {
        var policy = Policy(direction, Origin, new() { ["X-Api-Key"] = "k", ["PRIVATE-TOKEN"] = "t", ["Cookie"] = "c=1" }, new NetworkCredential("u", "p"));

        var same = Send(policy, SameOrigin);
        var other = Send(policy, OtherOrigin);

        Assert.Equal("k", same["X-Api-Key"]);
        Assert.Equal("t", same["PRIVATE-TOKEN"]);
        Assert.Equal("c=1", same["Cookie"]);
        Assert.Equal("Basic dTpw", same["Authorization"]);
        Assert.Equal(new[] { "User-Agent" }, other.Keys.ToArray());
        Assert.True(policy.Withholds(OtherOrigin));
        Assert.False(policy.Withholds(SameOrigin));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void PreserveHeadersOnRedirectSendsThemEverywhere(string direction)
    {
        var policy = Policy(direction, Origin, new() { ["X-Api-Key"] = "k" }, new NetworkCredential("u", "p"), preserve: true);

        var other = Send(policy, OtherOrigin);

        Assert.Equal("k", other["X-Api-Key"]);
        Assert.Equal("Basic dTpw", other["Authorization"]);
        Assert.False(policy.Withholds(OtherOrigin));
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void TheSameUserAgentIsTheDefaultInBothDirections(string direction)
    {
        var headers = Send(Policy(direction, Origin, new()), Origin);

        Assert.Equal(RequestPolicy.DefaultUserAgent, headers["User-Agent"]);
        Assert.StartsWith("ResumeTransfer/", RequestPolicy.DefaultUserAgent, StringComparison.Ordinal);
        Assert.Equal("Mine/2", Send(Policy(direction, Origin, new() { ["User-Agent"] = "Mine/2" }), Origin)["User-Agent"]);
    }

    [Theory]
    [MemberData(nameof(Directions))]
    public void AnAuthorizationHeaderWinsOverTheCredential(string direction)
    {
        var headers = Send(Policy(direction, Origin, new() { ["Authorization"] = "Bearer explicit" }, new NetworkCredential("u", "p")), Origin);

        Assert.Equal("Bearer explicit", headers["Authorization"]);
    }

    [Theory]
    [InlineData("download", "Authorization", true)]
    [InlineData("upload", "Authorization", true)]
    [InlineData("download", "Cookie", false)]
    [InlineData("upload", "Cookie", false)]
    [InlineData("download", "X-Api-Key", false)]
    public void OverPlainHttpCredentialsNeedConsentAndOtherHeadersDoNot(string direction, string header, bool refused)
    {
        var http = new Uri("http://files.example.com/a.iso");
        var headers = new Dictionary<string, string> { [header] = "value" };

        var error = Record.Exception(() => Policy(direction, http, headers));

        Assert.Equal(refused, error is TransferException { Kind: TransferErrorKind.InvalidArgument });
        Assert.Equal(refused, error is not null);
        Assert.IsType<TransferException>(Record.Exception(() => Policy(direction, http, new(), new NetworkCredential("u", "p"))));
        _ = Policy(direction, http, new(), new NetworkCredential("u", "p"), allowUnencrypted: true);
    }

    [Theory]
    [InlineData("https://a.example/x", "http://a.example/y", false, true)]
    [InlineData("https://a.example/x", "http://a.example/y", true, false)]
    [InlineData("http://a.example/x", "https://a.example/y", false, false)]
    [InlineData("https://a.example/x", "https://b.example/y", false, false)]
    public void HttpsToHttpIsInsecureRedirectUnlessAllowed(string from, string to, bool allowed, bool refused)
    {
        var policy = Policy("download", new Uri(from), new(), allowInsecureRedirect: allowed);

        var error = Record.Exception(() => policy.FollowRedirect(new Uri(from), new Uri(to), 302));

        Assert.Equal(refused, error is TransferException { Kind: TransferErrorKind.InsecureRedirect });
        Assert.Equal(refused, error is not null);
    }

    [Fact]
    public void ARedirectToAnotherSchemeIsAProtocolViolation()
    {
        var policy = Policy("download", Origin, new());

        var error = Assert.Throws<TransferException>(() => policy.FollowRedirect(Origin, new Uri("ftp://files.example.com/a.iso"), 301));

        Assert.Equal(TransferErrorKind.ProtocolViolation, error.Kind);
    }

    [Fact]
    public void UserInfoIsTheCredentialAndLeavesTheAddress()
    {
        var policy = Policy("upload", new Uri("https://al%40ce:p%3Ass@files.example.com/a.iso"), new());

        Assert.Equal("https://files.example.com/a.iso", policy.RequestUri.AbsoluteUri);
        Assert.Equal("Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("al@ce:p:ss")), Send(policy, Origin)["Authorization"]);
    }

    [Fact]
    public void HeadersTheProtocolSetsAreIgnoredAndNamedOnce()
    {
        var observer = new RecordingObserver();
        var policy = new RequestPolicy(
            Download(Origin, new() { ["Range"] = "bytes=1-2", ["Content-Type"] = "text/plain", ["Host"] = "evil", ["X-Ok"] = "1" }),
            new[] { "Range" },
            observer);

        var headers = Send(policy, Origin);

        Assert.Equal(new[] { "User-Agent", "X-Ok" }, headers.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray());
        Assert.Contains(observer.Messages, m => m.Text.Contains("Range, Content-Type, Host", StringComparison.Ordinal));
    }

    private static RequestPolicy Policy(
        string direction, Uri uri, Dictionary<string, string> headers, NetworkCredential? credential = null,
        bool preserve = false, bool allowUnencrypted = false, bool allowInsecureRedirect = false)
    {
        TransferRequest options = direction == "download"
            ? new DownloadRequest
            {
                Uri = uri, OutputPath = "unused", Headers = headers, Credential = credential, PreserveHeadersOnRedirect = preserve,
                AllowUnencryptedAuthentication = allowUnencrypted, AllowInsecureRedirect = allowInsecureRedirect,
            }
            : new UploadRequest
            {
                Uri = uri, Path = "unused", Headers = headers, Credential = credential, PreserveHeadersOnRedirect = preserve,
                AllowUnencryptedAuthentication = allowUnencrypted, AllowInsecureRedirect = allowInsecureRedirect,
            };
        return new RequestPolicy(options, Array.Empty<string>(), new RecordingObserver());
    }

    private static DownloadRequest Download(Uri uri, Dictionary<string, string> headers) => new() { Uri = uri, OutputPath = "unused", Headers = headers };

    private static Dictionary<string, string> Send(RequestPolicy policy, Uri target)
    {
        using var message = new HttpRequestMessage(HttpMethod.Get, target);
        policy.Apply(message);
        return message.Headers.ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
    }
}
