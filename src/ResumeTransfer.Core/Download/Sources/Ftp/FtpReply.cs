using System;
using System.Collections.Generic;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>One reply of an FTP server (RFC 959 §4.2): a three-digit code and its text, one line or several.</summary>
/// <param name="Code">The reply code, 100 to 599.</param>
/// <param name="Lines">The text of every line without the code prefix (the first line's text first).</param>
internal sealed record FtpReply(int Code, IReadOnlyList<string> Lines)
{
    /// <summary>1xx: the command started; another reply follows.</summary>
    public bool IsPreliminary => Code is >= 100 and < 200;

    /// <summary>2xx: done.</summary>
    public bool IsCompletion => Code is >= 200 and < 300;

    /// <summary>3xx: accepted, the server waits for the next command of the sequence (PASS after USER, RETR after REST).</summary>
    public bool IsIntermediate => Code is >= 300 and < 400;

    /// <summary>The first line's text: what messages quote.</summary>
    public string Message => Lines.Count > 0 ? Lines[0].Trim() : string.Empty;

    /// <summary>"550 (No such file)": the form messages show.</summary>
    public override string ToString() => Message.Length == 0 ? Code.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Code} ({Message})";
}
