using System;
using System.Collections.Generic;
using System.Linq;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// What one profile of <see cref="ChunkFormProtocol"/> sends and calls, as data: the wire name of each field it sends
/// (keyed by the profile's own name for it), the number of the first chunk, the merge path (Seed) or the test call
/// (Flow, Resumable), and how the last chunk is cut. Built from <see cref="ChunkApiProfileOptions"/>, checked once.
/// </summary>
internal sealed class ChunkFormSpec
{
    /// <summary>The fields every profile sends, by the name a field map uses for them.</summary>
    public const string File = "file";
    public const string Chunk = "chunk";
    public const string Md5 = "md5";
    public const string TotalChunks = "total_chunks";
    public const string FileName = "filename";
    public const string ChunkSize = "chunk_size";
    public const string CurrentChunkSize = "current_chunk_size";
    public const string TotalSize = "total_size";
    public const string Identifier = "identifier";
    public const string RelativePath = "relative_path";

    private static readonly string[] SeedFields = [File, Chunk, Md5, TotalChunks, FileName];

    private ChunkFormSpec(ChunkApiProfile profile, IReadOnlyDictionary<string, string> fields, int numberBase, string? mergePath, IReadOnlyDictionary<string, string> defaults)
    {
        Profile = profile;
        Fields = fields;
        NumberBase = numberBase;
        MergePath = mergePath;
        var renamed = fields.Where(f => defaults[f.Key] != f.Value).OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} = '{f.Value.Replace("'", "''")}'").ToList();
        ParameterText = $"-ChunkApiProfile {profile} -ChunkApiNumberBase {numberBase}"
            + (renamed.Count > 0 ? $" -ChunkApiFields @{{ {string.Join("; ", renamed)} }}" : string.Empty)
            + (mergePath is null ? string.Empty : $" -ChunkApiMergePath {mergePath}");
    }

    /// <summary>
    /// The parameters that give this spec, e.g. <c>-ChunkApiProfile Seed -ChunkApiNumberBase 0 -ChunkApiMergePath merge</c>:
    /// recorded with an upload, so that a resume with another base, field map or merge path (other chunk numbers, another
    /// server's names) is refused instead of mixing.
    /// </summary>
    public string ParameterText { get; }

    public ChunkApiProfile Profile { get; }

    /// <summary>Field (as a field map names it) to wire name; only the fields this profile sends.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; }

    /// <summary>The number of the first chunk on the wire.</summary>
    public int NumberBase { get; }

    /// <summary>Seed: the merge call's path below the upload URL; null for profiles whose server assembles the file itself.</summary>
    public string? MergePath { get; }

    /// <summary>Flow and Resumable: <c>GET URL?fields</c> says whether the server holds a chunk.</summary>
    public bool HasTestCall => Profile != ChunkApiProfile.Seed;

    /// <summary>flow.js and resumable.js cut floor(size / chunk size) chunks, the last taking the remainder.</summary>
    public bool LastChunkTakesRemainder => Profile != ChunkApiProfile.Seed;

    /// <summary>The wire name of <paramref name="field"/>, or null when this profile does not send it.</summary>
    public string? Name(string field) => Fields.TryGetValue(field, out var name) ? name : null;

    public static ChunkFormSpec Create(ChunkApiProfileOptions options, IReadOnlyDictionary<string, string> metadata)
    {
        var profile = options.EffectiveProfile;
        var defaults = Defaults(profile);
        var fields = new Dictionary<string, string>(defaults, StringComparer.Ordinal);
        foreach (var pair in options.Fields)
        {
            var key = defaults.Keys.FirstOrDefault(k => string.Equals(k, pair.Key, StringComparison.OrdinalIgnoreCase));
            if (key is null)
            {
                throw Invalid($"-ChunkApiFields names the field '{pair.Key}', which the {profile} profile does not send. Its fields are: {string.Join(", ", defaults.Keys)}. Map those to your server's names, e.g. @{{ chunk = 'index'; file = 'blob' }}.");
            }

            if (string.IsNullOrWhiteSpace(pair.Value) || !IsFormFieldName(pair.Value) || pair.Value.Length > 200)
            {
                throw Invalid($"-ChunkApiFields gives the field '{key}' the name '{pair.Value}'. A field name is 1 to 200 ASCII characters without '\"' or control characters (it goes in the chunk's Content-Disposition header).");
            }

            fields[key] = pair.Value;
        }

        var clash = fields.GroupBy(f => f.Value, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            throw Invalid($"-ChunkApiFields gives {string.Join(" and ", clash.Select(f => $"'{f.Key}'"))} the same name '{clash.Key}'. Each field needs its own name.");
        }

        // Metadata entries are sent as form fields too (the profile in use is a form: Standard never gets here to send).
        if (options.IsCustom && metadata.Keys.FirstOrDefault(k => !IsFormFieldName(k)) is { } unusable)
        {
            throw Invalid($"-Metadata has the key '{unusable}', which cannot be a form field name: the {profile} profile sends metadata as fields, whose names are ASCII without '\"' or control characters. Rename that metadata entry.");
        }

        if (metadata.Keys.FirstOrDefault(k => fields.Values.Contains(k, StringComparer.Ordinal)) is { } taken)
        {
            throw Invalid($"-Metadata has the key '{taken}', which the {profile} profile already sends as a field. Rename that metadata entry.");
        }

        var numberBase = options.NumberBase ?? (profile == ChunkApiProfile.Seed ? 0 : 1);
        if (numberBase is not (0 or 1))
        {
            throw Invalid($"-ChunkApiNumberBase {options.NumberBase} is not a numbering base: the first chunk is number 0 or 1. Use -ChunkApiNumberBase 0 or 1.");
        }

        string? mergePath = null;
        if (profile == ChunkApiProfile.Seed)
        {
            mergePath = CheckMergePath(options.MergePath ?? "merge");
        }
        else if (options.MergePath is not null)
        {
            throw Invalid($"-ChunkApiMergePath is for servers with a merge call (-ChunkApiProfile Seed); a {profile} server assembles the file itself when the last chunk arrives. Leave -ChunkApiMergePath out.");
        }

        return new ChunkFormSpec(profile, fields, numberBase, mergePath, defaults);
    }

    /// <summary>
    /// What .NET's ContentDispositionHeaderValue takes as a quoted name: ASCII, no '"', no control characters. Checked
    /// here so a bad name is an InvalidArgument before any traffic, not an exception at the first chunk.
    /// </summary>
    private static bool IsFormFieldName(string name) => name.All(c => c is >= ' ' and < (char)127 and not '"');

    private static Dictionary<string, string> Defaults(ChunkApiProfile profile)
    {
        if (profile == ChunkApiProfile.Seed)
        {
            return SeedFields.ToDictionary(f => f, f => f, StringComparer.Ordinal);
        }

        var prefix = profile == ChunkApiProfile.Flow ? "flow" : "resumable";
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Chunk] = prefix + "ChunkNumber",
            [TotalChunks] = prefix + "TotalChunks",
            [ChunkSize] = prefix + "ChunkSize",
            [CurrentChunkSize] = prefix + "CurrentChunkSize",
            [TotalSize] = prefix + "TotalSize",
            [Identifier] = prefix + "Identifier",
            [FileName] = prefix + "Filename",
            [RelativePath] = prefix + "RelativePath",
            [File] = "file",
        };
    }

    /// <summary>A relative path of plain segments: it can only lead below the upload URL, never to another host or up.</summary>
    private static string CheckMergePath(string path)
    {
        var segments = path.Split('/');
        if (path.Length == 0 || path.StartsWith("/", StringComparison.Ordinal) || path.IndexOfAny(['?', '#', '\\', ':']) >= 0 || path.Any(char.IsWhiteSpace) || path.Any(char.IsControl)
            || segments.Any(s => s.Length == 0 || s == "." || s == ".."))
        {
            throw Invalid($"-ChunkApiMergePath '{path}' is not a relative path below the upload URL. Give plain segments such as 'merge' or 'api/v1/complete' (no leading '/', no '..', no scheme, query or '#'); the file name is added as ?filename=NAME.");
        }

        return path;
    }

    private static TransferException Invalid(string message) => new(TransferErrorKind.InvalidArgument, message);
}
