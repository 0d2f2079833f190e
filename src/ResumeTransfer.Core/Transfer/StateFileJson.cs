using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResumeTransfer.Core.Transfer;

/// <summary>How the state files (download and upload) are written: camelCase, indented JSON for people to read.</summary>
internal static class StateFileJson
{
    /// <summary>The shared settings; a state type that needs more starts from a copy of these.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,

        // For people reading the file, never embedded in HTML: an ETag shows as "\"abc\"" rather than "\u0022abc\u0022",
        // and non-ASCII paths stay as they are.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
