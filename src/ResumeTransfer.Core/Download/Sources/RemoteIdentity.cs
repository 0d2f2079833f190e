using System;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>
/// What identifies one version of a remote resource: its length and validators. Two identities that
/// disagree on any known field are two versions, and their bytes must never be mixed in one file.
/// </summary>
/// <param name="Length">Total length in bytes, when the server said.</param>
/// <param name="ETag">The entity tag exactly as sent, quotes included (weak tags keep their W/ prefix).</param>
/// <param name="LastModified">Last-Modified, when sent.</param>
/// <param name="LastModifiedIsStrong">
/// True when Last-Modified is at least 60 s older than the response's Date (RFC 9110 §8.8.2.2), so it may be
/// used in If-Range when there is no strong ETag.
/// </param>
public sealed record RemoteIdentity(long? Length, string? ETag, DateTimeOffset? LastModified, bool LastModifiedIsStrong)
{
    /// <summary>True when the ETag is present and strong (not W/).</summary>
    public bool HasStrongETag => ETag is { Length: > 0 } && !ETag.StartsWith("W/", StringComparison.Ordinal);

    /// <summary>True when this identity carries anything a server can be asked to match (If-Range / If-Match).</summary>
    public bool HasValidator => HasStrongETag || (LastModified is not null && LastModifiedIsStrong);

    /// <summary>
    /// True when <paramref name="other"/> may be the same version: every field both sides know agrees.
    /// </summary>
    public bool IsSameVersionAs(RemoteIdentity other)
    {
        if (Length is { } a && other.Length is { } b && a != b)
        {
            return false;
        }

        if (ETag is not null && other.ETag is not null && !string.Equals(ETag, other.ETag, StringComparison.Ordinal))
        {
            return false;
        }

        if (LastModified is { } x && other.LastModified is { } y && x != y)
        {
            return false;
        }

        return true;
    }
}
