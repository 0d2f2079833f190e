using System.Collections.Generic;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// How to talk to a chunk-upload server that is not the project's own chunk API: its <see cref="Profile"/> and, for
/// servers that differ from it in names only, a field map. Checked by <see cref="Validate"/> before any traffic.
/// </summary>
public sealed record ChunkApiProfileOptions
{
    /// <summary>The server's convention; <see cref="ChunkApiProfile.Standard"/> is docs/chunk-api.md.</summary>
    public ChunkApiProfile Profile { get; init; } = ChunkApiProfile.Standard;

    /// <summary>
    /// Renames fields of the profile: the profile's name of a field (e.g. <c>chunk</c>, <c>file</c>) to the server's (e.g.
    /// <c>index</c>, <c>blob</c>). Keys the profile lacks are an error.
    /// </summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();

    /// <summary>The number of the first chunk (0 or 1); null = the profile's (Seed 0, Flow and Resumable 1).</summary>
    public int? NumberBase { get; init; }

    /// <summary>Seed: the merge call's path relative to the upload URL; null = <c>merge</c>.</summary>
    public string? MergePath { get; init; }

    /// <summary>True when anything but the default protocol is asked for.</summary>
    public bool IsCustom => Profile != ChunkApiProfile.Standard || Fields.Count > 0 || NumberBase is not null || MergePath is not null;

    /// <summary>
    /// True when the server keeps chunks by file name alone (Seed: no upload identifier field), so two uploads of files
    /// with one name to one address must not run at once: their chunks would mix.
    /// </summary>
    public bool NamesUploadsByFileName => IsCustom && EffectiveProfile == ChunkApiProfile.Seed;

    /// <summary>Throws <see cref="TransferException"/> (InvalidArgument) naming the problem and the fix; <paramref name="metadata"/> keys become fields too, so they must not collide.</summary>
    public void Validate(IReadOnlyDictionary<string, string>? metadata = null) => _ = ChunkFormSpec.Create(this, metadata ?? new Dictionary<string, string>());

    /// <summary>The profile these options use: <see cref="Profile"/>, or Seed when only a field map, base or merge path was given.</summary>
    internal ChunkApiProfile EffectiveProfile => Profile == ChunkApiProfile.Standard && IsCustom ? ChunkApiProfile.Seed : Profile;
}
