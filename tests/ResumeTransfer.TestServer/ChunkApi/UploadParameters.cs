namespace ResumeTransfer.TestServer.ChunkApi;

/// <summary>The numbers that define an upload; every chunk of it must carry the same ones.</summary>
internal sealed record UploadParameters(string UploadId, string FileName, long ChunkSize, long TotalSize, long TotalChunks)
{
    /// <summary>max(1, ceil(total / chunk)): an empty file is one empty chunk.</summary>
    public static long ChunkCount(long totalSize, long chunkSize) =>
        totalSize == 0 ? 1 : (totalSize / chunkSize) + (totalSize % chunkSize == 0 ? 0 : 1);

    /// <summary>How long chunk <paramref name="index"/> must be: chunk_size, or the remainder for the last one.</summary>
    public long ChunkLength(long index) =>
        index < TotalChunks - 1 ? ChunkSize : TotalSize - ((TotalChunks - 1) * ChunkSize);
}

/// <summary>upload.json: what the first chunk of an upload fixed.</summary>
internal sealed record UploadRecord(string Filename, long ChunkSize, long TotalSize, long TotalChunks, DateTimeOffset Created)
{
    /// <summary>Names of the fields that differ from <paramref name="p"/>; empty when they all agree.</summary>
    public IReadOnlyList<string> Differences(UploadParameters p)
    {
        var fields = new List<string>();
        if (!string.Equals(Filename, p.FileName, StringComparison.Ordinal))
        {
            fields.Add($"filename (upload has '{Filename}')");
        }

        if (ChunkSize != p.ChunkSize)
        {
            fields.Add($"chunk_size (upload has {ChunkSize})");
        }

        if (TotalSize != p.TotalSize)
        {
            fields.Add($"total_size (upload has {TotalSize})");
        }

        if (TotalChunks != p.TotalChunks)
        {
            fields.Add($"total_chunks (upload has {TotalChunks})");
        }

        return fields;
    }
}

/// <summary>result.json: the answer of the merge that completed the upload, kept so a repeated merge gets it again.</summary>
internal sealed record MergeRecord(string Filename, long Size, string Sha256, DateTimeOffset Merged);

/// <summary>One held chunk as the status call lists it: its index, stored length and the MD5 it was accepted with.</summary>
internal sealed record HeldChunk(long Index, long Size, string Md5);

/// <summary>What the status call reports. <see cref="Chunks"/> is empty once merged (the merge deleted them).</summary>
internal sealed record UploadStatus(UploadRecord Upload, IReadOnlyList<long> Received, IReadOnlyList<HeldChunk> Chunks, bool Complete, DateTimeOffset Expires);
