using System.Runtime.CompilerServices;

namespace ResumeTransfer.Core.Tests.Infrastructure;

/// <summary>Unique, URL-safe tags for the test server's <c>tag=</c> parameter.</summary>
public static class TestTags
{
    /// <summary>A tag made of the calling test's name and a random suffix, e.g. <c>DropIsRetried-3f2a9c1d0b7e</c>.</summary>
    public static string New([CallerMemberName] string name = "t") =>
        $"{Uri.EscapeDataString(name)}-{Guid.NewGuid().ToString("N")[..12]}";
}
