using System.Text.Json.Nodes;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>A chunk request whose fields are valid (docs/chunk-api.md, "What the server does", steps 1 and 2).</summary>
internal sealed record ChunkSubmission(UploadParameters Parameters, long Index, string Md5)
{
    /// <summary>The text parts every chunk request carries.</summary>
    public static readonly string[] TextFields =
        ["upload_id", "filename", "total_size", "chunk_size", "total_chunks", "chunk", "md5"];

    /// <summary>Step 1: the fields alone. Throws <see cref="ChunkApiException"/> for the first one that is wrong.</summary>
    public static ChunkSubmission FromFields(ChunkForm form, ChunkApiOptions options)
    {
        var uploadId = ChunkApiFields.ParseUploadId(form.Field("upload_id"));
        var fileName = ChunkApiFields.ParseFileName(form.Field("filename"));
        var totalSize = ChunkApiFields.ParseInteger(form.Field("total_size"), "total_size", 0, ChunkApiFields.MaxInteger);
        var chunkSize = ChunkApiFields.ParseInteger(form.Field("chunk_size"), "chunk_size", 1, ChunkApiFields.MaxInteger);
        var totalChunks = ChunkApiFields.ParseInteger(form.Field("total_chunks"), "total_chunks", 1, ChunkApiFields.MaxInteger);
        var index = ChunkApiFields.ParseInteger(form.Field("chunk"), "chunk", 0, ChunkApiFields.MaxInteger);
        var md5 = ChunkApiFields.ParseHex(form.Field("md5"), "md5", 32);

        var expectedChunks = UploadParameters.ChunkCount(totalSize, chunkSize);
        if (totalChunks != expectedChunks)
        {
            throw ChunkApiException.InvalidField(
                "total_chunks",
                $"total_chunks is {totalChunks} but total_size {totalSize} in chunks of {chunkSize} makes {expectedChunks} (an empty file is 1 chunk).");
        }

        if (totalChunks > options.MaxChunks)
        {
            throw ChunkApiException.InvalidField(
                "total_chunks",
                $"This server takes at most {options.MaxChunks} chunks per upload; choose a chunk_size of at least {CeilingDivide(totalSize, options.MaxChunks)} bytes.");
        }

        if (index >= totalChunks)
        {
            throw ChunkApiException.InvalidField("chunk", $"chunk {index} does not exist: indices run from 0 to {totalChunks - 1}.");
        }

        if (chunkSize > options.MaxChunkSize)
        {
            throw TooLarge($"This server takes chunks of at most {options.MaxChunkSize} bytes; chunk_size is {chunkSize}. Choose a smaller chunk size.", options.MaxChunkSize);
        }

        return new ChunkSubmission(new UploadParameters(uploadId, fileName, chunkSize, totalSize, totalChunks), index, md5);
    }

    /// <summary>Step 2, once the bytes are read: length and MD5.</summary>
    public void CheckBytes(ChunkForm form)
    {
        if (form.TempPath is null || form.ActualMd5 is null)
        {
            throw ChunkApiException.InvalidField("file", "The file part (the chunk's bytes) is missing.");
        }

        if (form.Length > Parameters.ChunkSize)
        {
            throw TooLarge($"The chunk has {form.Length} bytes, more than chunk_size ({Parameters.ChunkSize}); nothing was stored.", Parameters.ChunkSize);
        }

        var expected = Parameters.ChunkLength(Index);
        if (form.Length != expected)
        {
            throw new ChunkApiException(
                StatusCodes.Status400BadRequest,
                ChunkApiErrorCodes.ChunkLengthMismatch,
                $"Chunk {Index} must have {expected} bytes (every chunk but the last has chunk_size bytes) but has {form.Length}; nothing was stored.",
                new JsonObject { ["expected"] = expected, ["actual"] = form.Length });
        }

        if (!string.Equals(form.ActualMd5, Md5, StringComparison.Ordinal))
        {
            throw new ChunkApiException(
                StatusCodes.Status400BadRequest,
                ChunkApiErrorCodes.Md5Mismatch,
                $"The MD5 of chunk {Index}'s bytes is {form.ActualMd5} but the md5 field says {Md5}: the bytes were damaged on the way. Nothing was stored; send the chunk again.",
                new JsonObject { ["expected"] = Md5, ["actual"] = form.ActualMd5 });
        }
    }

    public static ChunkApiException TooLarge(string message, long limit) =>
        new(StatusCodes.Status413PayloadTooLarge, ChunkApiErrorCodes.ChunkTooLarge, message, new JsonObject { ["limit"] = limit });

    private static long CeilingDivide(long a, long b) => (a / b) + (a % b == 0 ? 0 : 1);
}
