using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// Reads replies from a control connection: single-line <c>226 Done</c> and multi-line <c>211-Features</c> ...
/// <c>211 End</c> (RFC 959 §4.2; lines between may start with anything, even other codes). Lines end with CRLF (a bare
/// LF is tolerated). A line longer than <see cref="MaxLineLength"/> or a reply of more than <see cref="MaxLines"/> lines
/// is a protocol violation rather than memory spent on a misbehaving server.
/// </summary>
internal sealed class FtpReplyReader
{
    public const int MaxLineLength = 8 * 1024;

    public const int MaxLines = 1000;

    private static readonly Encoding Text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly Stream stream;
    private readonly byte[] buffer = new byte[4096];
    private int start;
    private int end;

    public FtpReplyReader(Stream stream)
    {
        this.stream = stream ?? throw new ArgumentNullException(nameof(stream));
    }

    /// <summary>True when bytes after the last reply were received but not yet parsed (a server that answers unasked).</summary>
    public bool HasBufferedData => end > start;

    /// <summary>Reads the next whole reply. Throws <see cref="EndOfStreamException"/> when the connection closes first.</summary>
    public async Task<FtpReply> ReadAsync(CancellationToken cancellationToken)
    {
        var first = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (!TryCode(first, out var code, out var separator))
        {
            throw Violation($"a reply line that does not start with a three-digit code: '{Shorten(first)}'");
        }

        var lines = new List<string> { first.Length > 4 ? first.Substring(4) : string.Empty };
        if (separator != '-')
        {
            return new FtpReply(code, lines);
        }

        while (true)
        {
            var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (TryCode(line, out var lastCode, out var lastSeparator) && lastCode == code && lastSeparator == ' ')
            {
                lines.Add(line.Length > 4 ? line.Substring(4) : string.Empty);
                return new FtpReply(code, lines);
            }

            if (lines.Count >= MaxLines)
            {
                throw Violation($"a reply of more than {MaxLines} lines");
            }

            lines.Add(line);
        }
    }

    /// <summary>The code of <c>ddd text</c>, <c>ddd-text</c> or a bare <c>ddd</c>; the separator is ' ' for a last line.</summary>
    private static bool TryCode(string line, out int code, out char separator)
    {
        code = 0;
        separator = ' ';
        if (line.Length < 3 || !IsDigit(line[0], '1', '5') || !IsDigit(line[1], '0', '9') || !IsDigit(line[2], '0', '9'))
        {
            return false;
        }

        if (line.Length > 3)
        {
            separator = line[3];
            if (separator is not (' ' or '-'))
            {
                return false;
            }
        }

        code = ((line[0] - '0') * 100) + ((line[1] - '0') * 10) + (line[2] - '0');
        return true;
    }

    private static bool IsDigit(char c, char low, char high) => c >= low && c <= high;

    private static string Shorten(string line) => line.Length <= 80 ? line : line.Substring(0, 80) + "...";

    private static TransientTransferException Violation(string what) =>
        new(TransferErrorKind.ProtocolViolation, $"The FTP server sent {what}.");

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new MemoryStream();
        while (true)
        {
            if (start == end)
            {
                start = 0;
                end = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
                if (end == 0)
                {
                    throw new EndOfStreamException("The FTP server closed the control connection.");
                }
            }

            var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
            var take = (newline < 0 ? end : newline) - start;
            if (line.Length + take > MaxLineLength)
            {
                throw Violation($"a reply line longer than {MaxLineLength} bytes");
            }

            line.Write(buffer, start, take);
            if (newline < 0)
            {
                start = end;
                continue;
            }

            start = newline + 1;
            var bytes = line.ToArray();
            var length = bytes.Length > 0 && bytes[bytes.Length - 1] == (byte)'\r' ? bytes.Length - 1 : bytes.Length;
            return Text.GetString(bytes, 0, length);
        }
    }
}
