using System;

namespace ResumeTransfer.Core.Download.Sources;

/// <summary>What a source learned about the resource before any data is fetched.</summary>
/// <param name="Identity">Length and validators of the current version.</param>
/// <param name="SupportsRanges">True when the server answered a ranged probe with 206 (or advertised Accept-Ranges: bytes).</param>
/// <param name="SuggestedFileName">The raw file name from Content-Disposition (filename* before filename), not yet made safe.</param>
/// <param name="ResolvedUri">Where the data comes from after redirects (for display and logs; never persisted with its query).</param>
public sealed record SourceProbe(RemoteIdentity Identity, bool SupportsRanges, string? SuggestedFileName, Uri ResolvedUri)
{
    /// <summary>How the file is cut among connections (an object store's part size; <see cref="SegmentGrid.Default"/> for HTTP).</summary>
    public SegmentGrid Grid { get; init; } = SegmentGrid.Default;
}
