using System;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Cmdlets;

/// <summary>Addresses as -WhatIf/-Confirm, progress and error records show them.</summary>
internal static class AddressText
{
    /// <summary>True for an s3:// address, the only kind -Endpoint and -Region apply to.</summary>
    public static bool IsS3(Uri uri) => uri.IsAbsoluteUri && string.Equals(uri.Scheme, "s3", StringComparison.OrdinalIgnoreCase);

    /// <summary>The address with user info and query masked (<see cref="HttpOrigin.Redacted"/>): they often carry secrets.</summary>
    public static string ForDisplay(Uri uri) => HttpOrigin.Redacted(uri);

    /// <summary>
    /// The address as an error record's TargetObject: the same object when nothing in it is secret, else the masked
    /// form (still a Uri), since error records end up in logs and transcripts.
    /// </summary>
    public static Uri ForErrorRecord(Uri uri)
    {
        var masked = ForDisplay(uri);
        return !uri.IsAbsoluteUri || string.Equals(masked, uri.AbsoluteUri, StringComparison.Ordinal) || (uri.UserInfo.Length == 0 && uri.Query.Length <= 1)
            ? uri
            : new Uri(masked, UriKind.Absolute);
    }
}
