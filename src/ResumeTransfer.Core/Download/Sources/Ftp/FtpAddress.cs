using System;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// An ftp:// or ftps:// address checked and taken apart: host, port, whether the control connection is upgraded with
/// AUTH TLS, and the file's path as sent in SIZE, MDTM and RETR. As in RFC 1738 the path is relative to the login
/// directory (<c>ftp://host/pub/a.iso</c> is <c>pub/a.iso</c>); <c>%2F</c> at its start makes it absolute.
/// </summary>
internal sealed class FtpAddress
{
    private FtpAddress(string host, int port, bool secure, string path, Uri display)
    {
        Host = host;
        Port = port;
        Secure = secure;
        Path = path;
        Display = display;
    }

    /// <summary>The host to connect to and, for ftps, the name its certificate must carry.</summary>
    public string Host { get; }

    public int Port { get; }

    /// <summary>True for ftps:// (explicit TLS: AUTH TLS, PBSZ 0, PROT P).</summary>
    public bool Secure { get; }

    /// <summary>The path as the server is sent it (unescaped).</summary>
    public string Path { get; }

    /// <summary>The address for messages and the state file.</summary>
    public Uri Display { get; }

    /// <summary>Takes the address apart, refusing (before any traffic) what cannot be downloaded, with the fix.</summary>
    public static FtpAddress Parse(Uri uri)
    {
        var secure = string.Equals(uri.Scheme, "ftps", StringComparison.OrdinalIgnoreCase);
        var shown = HttpOrigin.Redacted(uri);
        if (uri.UserInfo.Length > 0)
        {
            // Addresses end up in the history, in logs and on screen; a password in one leaks.
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{shown}' carries a user name or password in the address. Remove it from the address and give it with -Credential (Get-Credential) instead: addresses are shown and logged, credentials are not.");
        }

        var escaped = uri.AbsolutePath;
        var path = Uri.UnescapeDataString(escaped.StartsWith("/", StringComparison.Ordinal) ? escaped.Substring(1) : escaped);
        var semicolon = path.IndexOf(";type=", StringComparison.OrdinalIgnoreCase);
        if (semicolon >= 0)
        {
            path = path.Substring(0, semicolon); // RFC 1738's ;type=i: binary is what is always used
        }

        if (path.Length == 0 || path.EndsWith("/", StringComparison.Ordinal))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{shown}' names a directory, not a file. Give the address of the file to download, such as {uri.Scheme}://{uri.Authority}/pub/file.iso.");
        }

        if (CannotBeSent(path))
        {
            throw new TransferException(
                TransferErrorKind.InvalidArgument,
                $"'{shown}' has a line break or NUL character in its path, which FTP cannot send. Check the address.");
        }

        var port = uri.IsDefaultPort || uri.Port <= 0 ? 21 : uri.Port;
        // The name as DNS and TLS want it: punycode for international names, an IPv6 address without its brackets.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.DnsSafeHost : uri.IdnHost;
        return new FtpAddress(host, port, secure, path, HttpOrigin.ForDisplay(uri));
    }

    /// <summary>True when the text has a line break or NUL: it cannot be one argument of a control-connection command (the rest would be another command).</summary>
    public static bool CannotBeSent(string? text) => text is not null && text.IndexOfAny(new[] { '\r', '\n', '\0' }) >= 0;
}
