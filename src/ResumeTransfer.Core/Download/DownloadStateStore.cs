using System;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Download;

/// <summary>
/// Reads, checks and atomically writes one download's state file. A file this code cannot trust (corrupt JSON, a
/// newer schema, inconsistent segments) is an <see cref="TransferErrorKind.InvalidState"/> error and is left in place:
/// deleting it is the user's call (-Force).
/// </summary>
internal sealed class DownloadStateStore
{
    public DownloadStateStore(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public bool Exists => File.Exists(Path);

    /// <summary>Lowercase hex HMAC-SHA256 of the full address, query included, under the current user's <see cref="StateKey"/>.</summary>
    public static string HashUri(Uri uri) => StateKey.Hash(uri.AbsoluteUri);

    /// <summary>
    /// True when <paramref name="uriHash"/> (a state file's) records <paramref name="uri"/>: under the current user's key,
    /// or as the plain SHA-256 that earlier versions wrote (the planner rewrites it keyed).
    /// </summary>
    public static bool RecordsUri(string? uriHash, Uri uri) =>
        string.Equals(uriHash, HashUri(uri), StringComparison.OrdinalIgnoreCase)
        || string.Equals(uriHash, HashText(uri.AbsoluteUri), StringComparison.OrdinalIgnoreCase);

    /// <summary>Lowercase hex SHA-256 of the address without query, credentials or fragment (<see cref="DisplayString"/>).</summary>
    public static string HashAddress(Uri uri) => HashText(DisplayString(uri));

    /// <summary>True when <paramref name="addressHash"/> (a state file's) records <paramref name="uri"/> without its query.</summary>
    public static bool RecordsAddress(string? addressHash, Uri uri) =>
        string.Equals(addressHash, HashAddress(uri), StringComparison.OrdinalIgnoreCase);

    private static string HashText(string text)
    {
        using var sha = SHA256.Create();
        return Hex.Lower(sha.ComputeHash(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The address as it may be written down: scheme, host, port and path only.</summary>
    public static string DisplayString(Uri uri) => uri.IsAbsoluteUri ? HttpOrigin.DisplayText(uri) : string.Empty;

    /// <summary>The state, or null when there is no state file.</summary>
    public DownloadState? Load()
    {
        var json = AtomicFile.ReadAllTextOrNull(Path);
        if (json is null)
        {
            return null;
        }

        DownloadState? state;
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("schema", out var schema)
                || schema.ValueKind != JsonValueKind.Number
                || !schema.TryGetInt32(out var version))
            {
                throw Invalid("it has no schema number");
            }

            if (version != DownloadState.CurrentSchema)
            {
                throw Invalid(version > DownloadState.CurrentSchema
                    ? $"it was written by a newer version of ResumeTransfer (schema {version}); update ResumeTransfer to resume it"
                    : $"its schema {version} is not supported");
            }

            state = JsonSerializer.Deserialize<DownloadState>(json, StateFileJson.Options);
        }
        catch (JsonException ex)
        {
            throw Invalid($"it is not valid JSON ({ex.Message})", ex);
        }

        if (state is null)
        {
            throw Invalid("it is empty");
        }

        var problem = FindInconsistency(state);
        if (problem is not null)
        {
            throw Invalid(problem);
        }

        return state;
    }

    /// <summary>Replaces the state file atomically (temp file, flush, rename).</summary>
    public void Save(DownloadState state)
    {
        AtomicFile.WriteAllText(Path, JsonSerializer.Serialize(state, StateFileJson.Options));
    }

    public void Delete()
    {
        AtomicFile.Delete(Path);
    }

    private static string? FindInconsistency(DownloadState state)
    {
        if (state.Length is < 0)
        {
            return "its length is negative";
        }

        var segments = state.Segments;
        if (segments is null || (segments.Count == 0 && state.Length is not 0))
        {
            return "it lists no segments";
        }

        long expectedStart = 0;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (segment is null || segment.Start != expectedStart)
            {
                return "its segments do not cover the file contiguously";
            }

            if (segment.End is null)
            {
                if (state.Length is not null || i != segments.Count - 1)
                {
                    return "it has an open segment although the length is known";
                }

                if (segment.Next < segment.Start)
                {
                    return "a segment's position is out of range";
                }

                return null;
            }

            if (segment.Next < segment.Start || segment.Next > segment.End || segment.End < segment.Start)
            {
                return "a segment's position is out of range";
            }

            expectedStart = segment.End.Value;
        }

        return state.Length == expectedStart ? null : "its segments do not add up to the recorded length";
    }

    private TransferException Invalid(string why, Exception? inner = null) => new(
        TransferErrorKind.InvalidState,
        $"The state file '{Path}' cannot be used: {why}. Run again with -Force to start the download over (the state file is then replaced).",
        inner);
}
