using System;

namespace ResumeTransfer.Core.Transfer;

/// <summary>What counts as an address the HTTP transfers can use.</summary>
public static class HttpAddress
{
    /// <summary>True for an absolute http or https address (a relative one, any other scheme or null is false).</summary>
    public static bool IsHttpOrHttps(Uri? uri) =>
        uri is { IsAbsoluteUri: true } && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
