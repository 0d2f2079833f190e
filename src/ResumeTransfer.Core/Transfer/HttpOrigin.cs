using System;

namespace ResumeTransfer.Core.Transfer;

/// <summary>Origins (scheme, host, port) and the forms of an address that are safe to show or record.</summary>
public static class HttpOrigin
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

    /// <summary>Scheme, host and port (never user info): the origin as messages name it.</summary>
    public static string OriginText(Uri uri) => uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped);

    /// <summary>
    /// The address as the user typed it, with what may be secret masked: user info becomes <c>***@</c> and the query
    /// <c>?***</c>, so -WhatIf and progress still show that there was one. For an address that is not absolute, the text as given.
    /// </summary>
    public static string Redacted(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return uri.OriginalString;
        }

        var shown = DisplayText(uri);
        if (uri.UserInfo.Length > 0)
        {
            var afterScheme = uri.Scheme.Length + 3; // "://"
            shown = shown.Substring(0, afterScheme) + "***@" + shown.Substring(afterScheme);
        }

        return uri.Query.Length > 1 ? shown + "?***" : shown;
    }
}
