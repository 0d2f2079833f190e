using System;

namespace ResumeTransfer.Core.Sources.Http;

/// <summary>Origins (scheme, host, port) and the form of an address that is safe to show or record.</summary>
internal static class HttpOrigin
{
    /// <summary>True when both addresses have the same scheme, host and port (RFC 6454), the rule for sending secrets.</summary>
    public static bool IsSame(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    /// <summary>The address without user info, query or fragment: query strings often carry signatures or tokens.</summary>
    public static Uri ForDisplay(Uri uri) => new(DisplayText(uri), UriKind.Absolute);

    /// <summary>
    /// <see cref="ForDisplay"/> as escaped text: scheme, host, port and path only. Built from parts (not by removing the
    /// query) so user info, query and fragment cannot slip through. The uri must be absolute.
    /// </summary>
    public static string DisplayText(Uri uri) =>
        uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped);
}
