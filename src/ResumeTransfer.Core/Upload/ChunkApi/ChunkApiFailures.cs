using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload.ChunkApi;

/// <summary>
/// Turns a chunk API error answer into the <see cref="TransferException"/> the engine acts on. The protocol's own codes
/// (docs/chunk-api.md, "Errors") decide first; plain HTTP statuses (401, 429, 5xx...) get the shared upload wording.
/// Only the codes a caller does not handle itself are mapped here.
/// </summary>
internal static class ChunkApiFailures
{
    public static TransferException From(ChunkApiAnswer answer, string what, string where)
    {
        var said = answer.Message is { Length: > 0 } message ? $" The server said: {BoundedContentReader.Excerpt(message)}" : string.Empty;
        var code = answer.Status;
        switch (answer.Error)
        {
            case "invalid_filename":
                return new TransferException(
                    TransferErrorKind.InvalidFileName,
                    $"{what}: {where} refuses the file name (400 invalid_filename).{said} Rename the file to a plain name the server accepts, then upload it again.")
                { StatusCode = code };
            case "chunk_too_large":
                var limit = answer.GetInt64("limit") is { } bytes ? $" It takes at most {bytes} bytes per chunk." : string.Empty;
                return new TransferException(
                    TransferErrorKind.InvalidArgument,
                    $"{what}: {where} refuses chunks this large (413 chunk_too_large).{limit} Run the command again with -Force and a smaller -ChunkSize.")
                { StatusCode = code };
            case "parameters_conflict":
                return new TransferException(
                    TransferErrorKind.InvalidState,
                    $"{what}: {where} holds this upload with another file name or other sizes (409 parameters_conflict).{said} Run the command again with -Force to start a new upload.")
                { StatusCode = code };
            case "chunk_conflict":
                return new TransferException(
                    TransferErrorKind.IntegrityCheckFailed,
                    $"{what}: {where} already holds this chunk with other bytes (409 chunk_conflict): the file changed after that chunk was sent, another client uses the same upload, or the server's copy is damaged. Nothing was merged. Run the command again with -Force to start a new upload.")
                { StatusCode = code };
            case "invalid_request":
            case "invalid_upload_id":
            case "chunk_length_mismatch":
                return new TransferException(
                    TransferErrorKind.ProtocolViolation,
                    $"{what}: {where} refused the request ({code} {answer.Error}).{said} The server and this client disagree about the chunk API (docs/chunk-api.md).")
                { StatusCode = code };
            case "upload_not_found":
                return new TransferException(
                    TransferErrorKind.NotFound,
                    $"{what}: {where} no longer has this upload (it expired or was deleted). Run the command again with -Resume: a new upload is started.")
                { StatusCode = code };
        }

        return WithServerText(HttpFailures.FromStatus(answer.Response, what), said, code);
    }

    /// <summary><paramref name="failure"/> with what the server explained (<paramref name="said"/>, may be empty) added, keeping its kind, transience and Retry-After.</summary>
    public static TransferException WithServerText(TransferException failure, string said, int code)
    {
        if (said.Length == 0)
        {
            return failure;
        }

        return failure is TransientTransferException transient
            ? new TransientTransferException(transient.Kind, transient.Message + said, transient.InnerException, transient.RetryAfter) { StatusCode = code }
            : new TransferException(failure.Kind, failure.Message + said, failure.InnerException) { StatusCode = code };
    }
}
