using System.Collections.Generic;
using System.Globalization;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>Says in words how two versions of a resource differ, for warnings ("ETag "a" -> "b"").</summary>
internal static class RemoteChangeDescription
{
    public static string Describe(RemoteIdentity before, RemoteIdentity? after)
    {
        if (after is null)
        {
            return "the server reported another version";
        }

        var parts = new List<string>();
        if (before.ETag != after.ETag && (before.ETag is not null || after.ETag is not null))
        {
            parts.Add($"ETag {before.ETag ?? "none"} -> {after.ETag ?? "none"}");
        }

        if (before.Length != after.Length && before.Length is not null && after.Length is not null)
        {
            parts.Add($"length {before.Length} -> {after.Length} bytes");
        }

        if (before.LastModified != after.LastModified && before.LastModified is not null && after.LastModified is not null)
        {
            parts.Add(string.Format(CultureInfo.InvariantCulture, "Last-Modified {0:u} -> {1:u}", before.LastModified, after.LastModified));
        }

        return parts.Count == 0 ? "the server reported another version" : string.Join(", ", parts);
    }
}
