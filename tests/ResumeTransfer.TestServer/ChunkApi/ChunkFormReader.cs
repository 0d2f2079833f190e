using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>
/// Reads a chunk request's multipart body part by part, straight from the socket: text parts into a small
/// dictionary, the <c>file</c> part into a temporary file while its MD5 is computed. Nothing larger than one
/// read buffer is held in memory, and reading stops as soon as the part exceeds the allowed size.
/// </summary>
internal static class ChunkFormReader
{
    private const int MaxTextPartBytes = 1024;
    private const int CopyBufferBytes = 64 * 1024;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task ReadAsync(HttpRequest request, ChunkForm form, string incomingDirectory, ChunkApiOptions options, CancellationToken cancellationToken)
    {
        var boundary = Boundary(request.ContentType);
        var reader = new MultipartReader(boundary, request.Body)
        {
            HeadersCountLimit = 16,
            HeadersLengthLimit = 16 * 1024,
        };

        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                throw InvalidBody("Every part needs a 'Content-Disposition: form-data; name=...' header.");
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
            if (name == "file")
            {
                if (form.TempPath is not null)
                {
                    throw ChunkApiException.InvalidField("file", "The file part is repeated; send it once.");
                }

                // Clients send the text parts first: then a bad request is refused before its bytes are read,
                // and the bytes are limited to chunk_size rather than to the server's maximum.
                var limit = options.MaxChunkSize;
                if (ChunkSubmission.TextFields.All(form.Fields.ContainsKey))
                {
                    limit = ChunkSubmission.FromFields(form, options).Parameters.ChunkSize;
                }

                await SpoolAsync(section.Body, form, incomingDirectory, limit, cancellationToken);
                continue;
            }

            var text = await ReadTextAsync(section.Body, name, cancellationToken);
            if (Array.IndexOf(ChunkSubmission.TextFields, name) < 0)
            {
                continue;
            }

            if (!form.Fields.TryAdd(name, text))
            {
                throw ChunkApiException.InvalidField(name, $"The part '{name}' is repeated; send each part once.");
            }
        }
    }

    private static string Boundary(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw InvalidBody("A chunk is sent as multipart/form-data (see docs/chunk-api.md).");
        }

        var boundary = HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 70)
        {
            throw InvalidBody("The multipart/form-data Content-Type has no usable boundary.");
        }

        return boundary;
    }

    private static ChunkApiException InvalidBody(string message) =>
        new(StatusCodes.Status400BadRequest, ChunkApiErrorCodes.InvalidRequest, message);

    private static async Task<string> ReadTextAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxTextPartBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
        {
            length += read;
        }

        if (length > MaxTextPartBytes)
        {
            throw ChunkApiException.InvalidField(name, $"The part '{name}' is longer than {MaxTextPartBytes} bytes.");
        }

        try
        {
            return StrictUtf8.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw ChunkApiException.InvalidField(name, $"The part '{name}' is not valid UTF-8.");
        }
    }

    private static async Task SpoolAsync(Stream body, ChunkForm form, string incomingDirectory, long limit, CancellationToken cancellationToken)
    {
        form.TempPath = Path.Combine(incomingDirectory, Guid.NewGuid().ToString("N") + ".tmp");
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
#pragma warning disable CA5351 // MD5 is the protocol's transfer checksum against damaged bytes, not a security measure.
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
#pragma warning restore CA5351
        try
        {
            await using var file = new FileStream(form.TempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken)) > 0)
            {
                form.Length += read;
                if (form.Length > limit)
                {
                    throw ChunkSubmission.TooLarge($"The chunk has more than {limit} bytes (chunk_size, or this server's limit); nothing was stored.", limit);
                }

                md5.AppendData(buffer, 0, read);
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            // The chunk counts as held once renamed into place; it must survive a crash from then on.
            file.Flush(flushToDisk: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        form.ActualMd5 = Convert.ToHexStringLower(md5.GetHashAndReset());
    }
}
