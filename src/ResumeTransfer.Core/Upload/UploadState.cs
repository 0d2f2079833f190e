using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// The state file of an unfinished upload (<c>&lt;source&gt;.rtupload</c>, or the per-user state folder): versioned JSON,
/// replaced atomically after every acknowledged chunk, deleted when the upload completes. It holds what is needed to
/// find the server-side upload again and to prove the source did not change, and never a secret (no credentials,
/// headers, Authorization or signatures).
/// </summary>
public sealed class UploadState
{
    /// <summary>The schema this build writes and reads.</summary>
    public const int CurrentSchema = 1;

    private static readonly JsonSerializerOptions JsonOptions = new(StateFileJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Format version; a reader refuses a schema it does not know.</summary>
    public int Schema { get; set; } = CurrentSchema;

    public UploadProtocolKind Protocol { get; set; }

    /// <summary>The protocol's <see cref="IUploadProtocol.Target"/>: where the upload goes.</summary>
    public string Target { get; set; } = string.Empty;

    /// <summary>Full path of the source when the upload started.</summary>
    public string SourcePath { get; set; } = string.Empty;

    public FingerprintRecord Fingerprint { get; set; } = new();

    /// <summary>S3 UploadId or chunk-API upload id.</summary>
    public string? UploadId { get; set; }

    /// <summary>tus or chunk-API upload URL. Used only on the origin of the request's -Uri: a state file cannot send the file elsewhere.</summary>
    public string? UploadUrl { get; set; }

    /// <summary>The chunk grid of this upload.</summary>
    public long ChunkSize { get; set; }

    /// <summary>Protocol extras (e.g. S3 bucket, key), never secrets.</summary>
    public Dictionary<string, string> Properties { get; set; } = new();

    /// <summary>Offset protocols: the last Upload-Offset the server acknowledged (informational; the server is asked again on resume).</summary>
    public long? AcknowledgedOffset { get; set; }

    /// <summary>Parts protocols: every part the server acknowledged, the local journal used when the server cannot list parts.</summary>
    public List<PartRecord> Parts { get; set; } = new();

    public DateTimeOffset CreatedUtc { get; set; }

    public DateTimeOffset UpdatedUtc { get; set; }

    /// <summary>Serializes to the on-disk JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Parses the on-disk JSON; throws <see cref="TransferException"/> (InvalidState) when it is not a state this build understands.</summary>
    public static UploadState FromJson(string json, string path)
    {
        UploadState? state;
        try
        {
            state = JsonSerializer.Deserialize<UploadState>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            throw Invalid(path, "it is not valid JSON", ex);
        }

        if (state is null)
        {
            throw Invalid(path, "it is empty", null);
        }

        if (state.Schema != CurrentSchema)
        {
            throw Invalid(path, $"it has schema {state.Schema}, and this version reads schema {CurrentSchema}", null);
        }

        if (state.ChunkSize <= 0 || string.IsNullOrEmpty(state.Target))
        {
            throw Invalid(path, "it lacks the chunk size or target", null);
        }

        return state;
    }

    internal UploadSession ToSession() => new()
    {
        UploadId = UploadId,
        UploadUrl = UploadUrl is null ? null : new Uri(UploadUrl, UriKind.Absolute),
        ChunkSize = ChunkSize,
        Properties = Properties.ToDictionary(p => p.Key, p => p.Value),
    };

    private static TransferException Invalid(string path, string why, Exception? inner) =>
        new(TransferErrorKind.InvalidState, $"The upload state file '{path}' cannot be used: {why}. Run the upload again with -Force to start over (this abandons the recorded upload).", inner);

    /// <summary>The source fingerprint as stored.</summary>
    public sealed class FingerprintRecord
    {
        public long Length { get; set; }

        public DateTime LastWriteTimeUtc { get; set; }

        public string HeadSha256 { get; set; } = string.Empty;

        public string TailSha256 { get; set; } = string.Empty;

        internal static FingerprintRecord From(SourceFingerprint f) => new()
        {
            Length = f.Length,
            LastWriteTimeUtc = f.LastWriteTimeUtc,
            HeadSha256 = f.HeadSha256,
            TailSha256 = f.TailSha256,
        };

        internal SourceFingerprint ToFingerprint() => new(Length, DateTime.SpecifyKind(LastWriteTimeUtc, DateTimeKind.Utc), HeadSha256, TailSha256);
    }

    /// <summary>One acknowledged part.</summary>
    public sealed class PartRecord
    {
        public int Number { get; set; }

        public long Offset { get; set; }

        public long Length { get; set; }

        /// <summary>Hex MD5 of the part.</summary>
        public string? Md5 { get; set; }

        /// <summary>The server's tag, as sent.</summary>
        public string? ETag { get; set; }

        internal static PartRecord From(ChunkReceipt r) => new() { Number = r.Number, Offset = r.Offset, Length = r.Length, Md5 = r.Md5, ETag = r.ETag };

        internal ChunkReceipt ToReceipt() => new(Number, Offset, Length, Md5, ETag);
    }
}
