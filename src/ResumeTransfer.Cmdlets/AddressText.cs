using System;

namespace ResumeTransfer.Cmdlets;

/// <summary>Addresses as the -WhatIf/-Confirm text and progress show them.</summary>
internal static class AddressText
{
    /// <summary>The address without user:password (the rest is what the user typed).</summary>
    public static string ForDisplay(Uri uri) =>
        uri.IsAbsoluteUri && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.ToString()
            : uri.OriginalString;
}
