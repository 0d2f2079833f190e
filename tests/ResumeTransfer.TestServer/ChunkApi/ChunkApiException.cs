using System.Text.Json.Nodes;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>The error codes of docs/chunk-api.md ("error" in every error body).</summary>
public static class ChunkApiErrorCodes
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidUploadId = "invalid_upload_id";
    public const string InvalidFileName = "invalid_filename";
    public const string Md5Mismatch = "md5_mismatch";
    public const string ChunkLengthMismatch = "chunk_length_mismatch";
    public const string UploadNotFound = "upload_not_found";
    public const string ParametersConflict = "parameters_conflict";
    public const string ChunkConflict = "chunk_conflict";
    public const string UploadComplete = "upload_complete";
    public const string ChunksMissing = "chunks_missing";
    public const string ChunkTooLarge = "chunk_too_large";
    public const string SizeMismatch = "size_mismatch";
    public const string HashMismatch = "hash_mismatch";
}

/// <summary>
/// An answer the protocol defines for a refused request. Thrown where the refusal is found and turned into the
/// JSON error body <c>{"error":code,"message":...,extras}</c> by the endpoint.
/// </summary>
internal sealed class ChunkApiException : Exception
{
    public ChunkApiException(int statusCode, string code, string message, JsonObject? extras = null)
        : base(message)
    {
        StatusCode = statusCode;
        Code = code;
        Extras = extras;
    }

    public int StatusCode { get; }

    public string Code { get; }

    public JsonObject? Extras { get; }

    public static ChunkApiException InvalidField(string field, string message) =>
        new(StatusCodes.Status400BadRequest, ChunkApiErrorCodes.InvalidRequest, message, new JsonObject { ["field"] = field });

    public static ChunkApiException NotFound(string uploadId) =>
        new(
            StatusCodes.Status404NotFound,
            ChunkApiErrorCodes.UploadNotFound,
            $"There is no upload '{uploadId}' here: it was never started, it expired or it was deleted. Start a new upload with a new upload_id.");

    public JsonObject ToBody()
    {
        var body = new JsonObject { ["error"] = Code, ["message"] = Message };
        if (Extras is not null)
        {
            foreach (var (key, value) in Extras)
            {
                body[key] = value?.DeepClone();
            }
        }

        return body;
    }
}
