using System;
using System.Collections.Generic;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// What a server's FEAT reply (RFC 2389) offers that the download uses: REST STREAM (RFC 3659, resume), SIZE, MDTM,
/// EPSV and a hash command (HASH with SHA-256, draft-bryan-ftp-hash, or XSHA256). A server without FEAT offers none
/// of them as far as this type knows; the source then tries the commands themselves.
/// </summary>
internal sealed record FtpFeatures(bool RestStream, bool Size, bool Modified, bool Epsv, bool HashSha256, bool XSha256)
{
    /// <summary>What a server that does not answer FEAT is assumed to offer.</summary>
    public static FtpFeatures Unknown { get; } = new(false, false, false, false, false, false);

    /// <summary>Reads the feature lines of a 211 reply (every line but the first and the last).</summary>
    public static FtpFeatures Parse(FtpReply reply)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var hashSha256 = false;
        for (var i = 1; i < reply.Lines.Count - 1; i++)
        {
            var line = reply.Lines[i].Trim();
            var space = line.IndexOf(' ');
            var name = space < 0 ? line : line.Substring(0, space);
            var argument = space < 0 ? string.Empty : line.Substring(space + 1).Trim();
            names.Add(name.ToUpperInvariant() == "REST" ? "REST " + argument.ToUpperInvariant() : name);
            if (string.Equals(name, "HASH", StringComparison.OrdinalIgnoreCase))
            {
                // "HASH SHA-256*;SHA-1;MD5": the starred one is the current algorithm.
                foreach (var algorithm in argument.Split(';'))
                {
                    hashSha256 |= string.Equals(algorithm.Trim().TrimEnd('*'), "SHA-256", StringComparison.OrdinalIgnoreCase);
                }
            }
        }

        return new FtpFeatures(
            names.Contains("REST STREAM"),
            names.Contains("SIZE"),
            names.Contains("MDTM"),
            names.Contains("EPSV"),
            hashSha256,
            names.Contains("XSHA256"));
    }
}
