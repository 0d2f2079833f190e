using System;
using System.Collections.Generic;
using System.Text.Json.Serialization;
using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// The state file (<c>&lt;target&gt;.rtstate</c>) of a download: which version of which resource is being fetched and
/// which bytes of the part file are safely on disk. Serialized as camelCase JSON; see README "State files".
/// Holds no secret: the address is stored without query, credentials or fragment, and the full address only as a hash.
/// </summary>
internal sealed class DownloadState
{
    /// <summary>The format version this code writes and reads.</summary>
    public const int CurrentSchema = 1;

    public int Schema { get; set; } = CurrentSchema;

    /// <summary>The address without query string, credentials or fragment: for people reading the file.</summary>
    public string Uri { get; set; } = string.Empty;

    /// <summary>Lowercase hex SHA-256 of the full address (query included), to notice a different URL resumed into the same target.</summary>
    public string UriHash { get; set; } = string.Empty;

    /// <summary>
    /// Lowercase hex SHA-256 of the requested address without its query: when only the query changed (a freshly signed
    /// URL), the partial download may continue if the server's validators prove the same file. Absent in older files.
    /// </summary>
    public string? AddressHash { get; set; }

    /// <summary>Total length, when the server said.</summary>
    public long? Length { get; set; }

    [JsonPropertyName("etag")]
    public string? ETag { get; set; }

    public DateTimeOffset? LastModified { get; set; }

    public bool LastModifiedIsStrong { get; set; }

    public bool SupportsRanges { get; set; }

    /// <summary>Ordered, contiguous ranges covering [0, Length) (or one open range when the length is unknown).</summary>
    public List<DownloadStateSegment> Segments { get; set; } = new();

    public DateTimeOffset Created { get; set; }

    public DateTimeOffset Updated { get; set; }

    /// <summary>The version this state's bytes belong to.</summary>
    public RemoteIdentity ToIdentity() => new(Length, ETag, LastModified, LastModifiedIsStrong);

    /// <summary>Records the version the bytes belong to from now on.</summary>
    public void SetIdentity(RemoteIdentity identity)
    {
        Length = identity.Length;
        ETag = identity.ETag;
        LastModified = identity.LastModified;
        LastModifiedIsStrong = identity.LastModifiedIsStrong;
    }
}
