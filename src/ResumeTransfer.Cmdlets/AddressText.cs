using System;
using ResumeTransfer.Core.Sources.Http;

namespace ResumeTransfer.Cmdlets;

/// <summary>Addresses as -WhatIf/-Confirm, progress and error records show them.</summary>
internal static class AddressText
{
    /// <summary>The address with user info and query masked (<see cref="HttpOrigin.Redacted"/>): they often carry secrets.</summary>
    public static string ForDisplay(Uri uri) => HttpOrigin.Redacted(uri);
}
