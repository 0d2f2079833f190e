using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>
/// The receiver's disk, one directory per upload_id (never per file name):
/// <code>
/// storage/.incoming/&lt;random&gt;.tmp        chunk bodies being received
/// storage/&lt;upload_id&gt;/upload.json       parameters fixed by the first chunk
/// storage/&lt;upload_id&gt;/chunks/&lt;i&gt;.&lt;md5&gt;  verified chunks (present = held)
/// storage/&lt;upload_id&gt;/merged/&lt;filename&gt;  the joined file
/// storage/&lt;upload_id&gt;/result.json       the merge answer (present = complete)
/// </code>
/// Every file that counts is put in place by a rename, so a crash leaves each one whole or absent. The
/// directory's last-write time is the upload's last activity, for expiry. One lock per upload
/// serialises "create or compare parameters", "is index i held / store it" and the merge.
/// </summary>
internal sealed class ChunkStore
{
    private const string UploadFile = "upload.json";
    private const string ResultFile = "result.json";
    private const string ChunksDirectory = "chunks";
    private const string MergedDirectory = "merged";
    private const int CopyBufferBytes = 1024 * 1024;
    private static readonly TimeSpan IncomingLeftoverAge = TimeSpan.FromHours(1);
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly string _root;
    private readonly ChunkApiOptions _options;
    private readonly KeyedLock _locks = new();
    private long _nextSweepTicks;
    private int _sweeping;

    public ChunkStore(string root, ChunkApiOptions options)
    {
        _root = Path.GetFullPath(root);
        _options = options;
        IncomingDirectory = Path.Combine(_root, ".incoming");
        Directory.CreateDirectory(IncomingDirectory);
    }

    public string IncomingDirectory { get; }

    private DateTimeOffset Now => _options.TimeProvider.GetUtcNow();

    /// <summary>Stores a verified chunk (moving <paramref name="tempPath"/>). True when stored, false when already held with this MD5.</summary>
    public async Task<bool> StoreChunkAsync(UploadParameters parameters, long index, string md5, string tempPath, CancellationToken cancellationToken)
    {
        var id = parameters.UploadId;
        using var held = await LockAsync(id, cancellationToken);
        var upload = Load(id) ?? Create(parameters);
        var differences = upload.Differences(parameters);
        if (differences.Count > 0)
        {
            throw new ChunkApiException(
                StatusCodes.Status409Conflict,
                ChunkApiErrorCodes.ParametersConflict,
                $"This chunk's {string.Join(", ", differences)} differ from upload {id}'s. Every chunk of an upload carries the same values; to send another file, start a new upload with a new upload_id.");
        }

        if (File.Exists(Path.Combine(UploadDirectory(id), ResultFile)))
        {
            throw new ChunkApiException(
                StatusCodes.Status409Conflict,
                ChunkApiErrorCodes.UploadComplete,
                $"Upload {id} is already merged; it takes no more chunks. Call merge again to read its result.");
        }

        var chunks = Path.Combine(UploadDirectory(id), ChunksDirectory);
        if (FindChunk(chunks, index) is { } storedMd5)
        {
            if (!string.Equals(storedMd5, md5, StringComparison.Ordinal))
            {
                throw new ChunkApiException(
                    StatusCodes.Status409Conflict,
                    ChunkApiErrorCodes.ChunkConflict,
                    $"Chunk {index} of upload {id} is already stored with MD5 {storedMd5}, and this one has {md5}: the file changed since that chunk was sent. The stored chunk was kept; start a new upload.",
                    new JsonObject { ["stored"] = storedMd5, ["sent"] = md5 });
            }

            Touch(id);
            return false;
        }

        File.Move(tempPath, Path.Combine(chunks, ChunkFileName(index, md5)));
        Touch(id);
        return true;
    }

    public async Task<UploadStatus?> GetStatusAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(id, cancellationToken);
        if (Load(id) is not { } upload)
        {
            return null;
        }

        var complete = File.Exists(Path.Combine(UploadDirectory(id), ResultFile));
        if (complete)
        {
            // The merge deleted the chunks; the merge answer is what counts now.
            return new UploadStatus(upload, [.. LongRange(upload.TotalChunks)], [], true, LastActivity(id) + _options.Expiry);
        }

        // The MD5 is the one the chunk was accepted with (its file name); the size is what is on disk.
        var chunks = HeldChunks(id, upload.TotalChunks)
            .Select(pair => new HeldChunk(pair.Key, new FileInfo(pair.Value).Length, ParseChunkFileName(Path.GetFileName(pair.Value))!.Value.Md5))
            .ToList();
        return new UploadStatus(upload, [.. chunks.Select(c => c.Index)], chunks, false, LastActivity(id) + _options.Expiry);
    }

    /// <summary>
    /// Joins the chunks (or returns the earlier merge's result). Not cancellable on purpose: a client that gives up
    /// waiting retries, and its retry should find the work done rather than start it again.
    /// </summary>
    public async Task<MergeRecord> MergeAsync(string id, string fileName, string? sha256)
    {
        using var held = await LockAsync(id, CancellationToken.None);
        var upload = Load(id) ?? throw ChunkApiException.NotFound(id);
        if (!string.Equals(upload.Filename, fileName, StringComparison.Ordinal))
        {
            throw new ChunkApiException(
                StatusCodes.Status409Conflict,
                ChunkApiErrorCodes.ParametersConflict,
                $"Upload {id} is for '{upload.Filename}', not '{fileName}'. Check that the upload_id is the one this file was sent with.");
        }

        var directory = UploadDirectory(id);
        var resultPath = Path.Combine(directory, ResultFile);
        MergeRecord result;
        if (File.Exists(resultPath))
        {
            result = ReadJson<MergeRecord>(resultPath);
            if (sha256 is not null && !string.Equals(sha256, result.Sha256, StringComparison.Ordinal))
            {
                throw HashMismatch(id, sha256, result.Sha256);
            }
        }
        else
        {
            result = await JoinAsync(id, upload, sha256);
            WriteJsonAtomically(resultPath, result);
            TryDeleteDirectory(Path.Combine(directory, ChunksDirectory));
        }

        Touch(id);
        return result;
    }

    /// <summary>Forgets an upload. False when there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        using var held = await LockAsync(id, cancellationToken);
        var existed = Load(id) is not null;
        TryDeleteDirectory(UploadDirectory(id));
        return existed;
    }

    /// <summary>Starts a background sweep of expired uploads and abandoned temp files, at most once a minute.</summary>
    public void SweepIfDue()
    {
        var now = Now.UtcTicks;
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now < due || Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0)
        {
            return;
        }

        var interval = _options.Expiry < TimeSpan.FromMinutes(1) ? _options.Expiry : TimeSpan.FromMinutes(1);
        Interlocked.Exchange(ref _nextSweepTicks, now + interval.Ticks);
        _ = Task.Run(async () =>
        {
            try
            {
                await SweepAsync();
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        });
    }

    private async Task SweepAsync()
    {
        try
        {
            foreach (var directory in Directory.EnumerateDirectories(_root))
            {
                var id = Path.GetFileName(directory);
                if (ChunkApiFields.IsUploadId(id))
                {
                    // Load deletes an expired upload under its lock.
                    using var held = await LockAsync(id, CancellationToken.None);
                    _ = Load(id);
                }
            }

            // Temp files of requests that died with the process; live ones are written to continuously.
            foreach (var temp in Directory.EnumerateFiles(IncomingDirectory, "*.tmp"))
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(temp) > IncomingLeftoverAge)
                {
                    File.Delete(temp);
                }
            }
        }
        catch (IOException)
        {
            // Best effort: the next sweep tries again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private async Task<MergeRecord> JoinAsync(string id, UploadRecord upload, string? sha256)
    {
        var held = HeldChunks(id, upload.TotalChunks);
        var missing = LongRange(upload.TotalChunks).Where(i => !held.ContainsKey(i)).ToList();
        if (missing.Count > 0)
        {
            throw new ChunkApiException(
                StatusCodes.Status409Conflict,
                ChunkApiErrorCodes.ChunksMissing,
                $"Upload {id} lacks {missing.Count} of its {upload.TotalChunks} chunks (see 'missing'). Send them, then merge again.",
                new JsonObject { ["missing"] = new JsonArray([.. missing.Select(i => JsonValue.Create(i))]) });
        }

        var directory = UploadDirectory(id);
        var temp = Path.Combine(directory, "merge.tmp");
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        try
        {
            await using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                for (long i = 0; i < upload.TotalChunks; i++)
                {
                    await using var input = new FileStream(held[i], FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
                    int read;
                    while ((read = await input.ReadAsync(buffer.AsMemory(0, CopyBufferBytes))) > 0)
                    {
                        hash.AppendData(buffer, 0, read);
                        await output.WriteAsync(buffer.AsMemory(0, read));
                        size += read;
                    }
                }

                output.Flush(flushToDisk: true);
            }

            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != upload.TotalSize)
            {
                throw new ChunkApiException(
                    422,
                    ChunkApiErrorCodes.SizeMismatch,
                    $"The joined chunks of upload {id} have {size} bytes, not total_size {upload.TotalSize}. Nothing was published; start a new upload.",
                    new JsonObject { ["expected"] = upload.TotalSize, ["actual"] = size });
            }

            if (sha256 is not null && !string.Equals(sha256, actual, StringComparison.Ordinal))
            {
                throw HashMismatch(id, sha256, actual);
            }

            var mergedDirectory = Path.Combine(directory, MergedDirectory);
            Directory.CreateDirectory(mergedDirectory);
            var target = Path.GetFullPath(Path.Combine(mergedDirectory, upload.Filename));

            // The name was validated on the way in; this is the second lock on the door.
            if (!string.Equals(Path.GetDirectoryName(target), mergedDirectory, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"Refusing to write '{target}' outside '{mergedDirectory}'.");
            }

            File.Move(temp, target, overwrite: true);
            return new MergeRecord(upload.Filename, size, actual, Now);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            File.Delete(temp);
        }
    }

    private static ChunkApiException HashMismatch(string id, string expected, string actual) =>
        new(
            422,
            ChunkApiErrorCodes.HashMismatch,
            $"The SHA-256 of upload {id}'s joined chunks is {actual}, not {expected}: its chunks come from different versions of the file. Nothing was published; start a new upload.",
            new JsonObject { ["expected"] = expected, ["actual"] = actual });

    private string UploadDirectory(string id) => Path.Combine(_root, id);

    /// <summary>The upload's record, or null when it does not exist; an expired or half-made upload is deleted first.</summary>
    private UploadRecord? Load(string id)
    {
        var directory = UploadDirectory(id);
        if (!Directory.Exists(directory))
        {
            return null;
        }

        var recordPath = Path.Combine(directory, UploadFile);
        if (!File.Exists(recordPath) || Now - LastActivity(id) > _options.Expiry)
        {
            TryDeleteDirectory(directory);
            return null;
        }

        return ReadJson<UploadRecord>(recordPath);
    }

    private UploadRecord Create(UploadParameters p)
    {
        var directory = UploadDirectory(p.UploadId);
        TryDeleteDirectory(directory);
        Directory.CreateDirectory(Path.Combine(directory, ChunksDirectory));
        var record = new UploadRecord(p.FileName, p.ChunkSize, p.TotalSize, p.TotalChunks, Now);
        WriteJsonAtomically(Path.Combine(directory, UploadFile), record);
        Touch(p.UploadId);
        return record;
    }

    private DateTimeOffset LastActivity(string id) =>
        new(Directory.GetLastWriteTimeUtc(UploadDirectory(id)), TimeSpan.Zero);

    // Set explicitly, from the injected clock, after every change inside the directory.
    private void Touch(string id) => Directory.SetLastWriteTimeUtc(UploadDirectory(id), Now.UtcDateTime);

    /// <summary>Held chunks by index: index -> chunk file path.</summary>
    private SortedDictionary<long, string> HeldChunks(string id, long totalChunks)
    {
        var held = new SortedDictionary<long, string>();
        var chunks = Path.Combine(UploadDirectory(id), ChunksDirectory);
        if (!Directory.Exists(chunks))
        {
            return held;
        }

        foreach (var path in Directory.EnumerateFiles(chunks))
        {
            if (ParseChunkFileName(Path.GetFileName(path)) is { } parsed && parsed.Index < totalChunks)
            {
                held[parsed.Index] = path;
            }
        }

        return held;
    }

    private static string? FindChunk(string chunksDirectory, long index)
    {
        foreach (var path in Directory.EnumerateFiles(chunksDirectory, index.ToString(CultureInfo.InvariantCulture) + ".*"))
        {
            if (ParseChunkFileName(Path.GetFileName(path)) is { } parsed && parsed.Index == index)
            {
                return parsed.Md5;
            }
        }

        return null;
    }

    private static string ChunkFileName(long index, string md5) => $"{index.ToString(CultureInfo.InvariantCulture)}.{md5}";

    private static (long Index, string Md5)? ParseChunkFileName(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0
            || !long.TryParse(name.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || name.Length - dot - 1 != 32)
        {
            return null;
        }

        return (index, name[(dot + 1)..]);
    }

    private static IEnumerable<long> LongRange(long count)
    {
        for (long i = 0; i < count; i++)
        {
            yield return i;
        }
    }

    private static T ReadJson<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"'{path}' is empty.");

    private static void WriteJsonAtomically<T>(string path, T value)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, value, Json);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    private Task<IDisposable> LockAsync(string id, CancellationToken cancellationToken) => _locks.AcquireAsync(id, cancellationToken);
}
