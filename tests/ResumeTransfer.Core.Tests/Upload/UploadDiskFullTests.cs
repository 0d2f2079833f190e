using System.Security.Cryptography;
using ResumeTransfer.Core.Tests.ChunkApi;
using ResumeTransfer.Core.Tests.Infrastructure;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload;
using ResumeTransfer.Core.Upload.ChunkApi;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>An upload whose source lives on a real, full 4 MiB tmpfs: its state goes per user, and DiskFull when that is full too.</summary>
public sealed class UploadDiskFullTests : IDisposable
{
    private readonly HttpClient client = TransferHttpClientFactory.Create(4);
    private readonly RecordingObserver observer = new();
    private readonly TempDir perUser = new("rt-upload-diskfull");

    public void Dispose()
    {
        client.Dispose();
        perUser.Dispose();
    }

    [Fact]
    public async Task AStateWriteOnAFullDiskIsDiskFullLeavesNoTempFileAndResumeFinishes()
    {
        using var disk = new SmallTmpfs(4 * 1024 * 1024);
        await using var server = await ChunkApiServer.StartAsync();
        var source = WriteSource(disk, out var bytes);
        var perUserOnTheFullDisk = disk.File("per-user");
        Directory.CreateDirectory(perUserOnTheFullDisk);
        var filler = disk.Fill(leave: 0);

        var failure = await Assert.ThrowsAsync<TransferException>(() => UploadAsync(server, source, perUserOnTheFullDisk));

        Assert.Equal(TransferErrorKind.DiskFull, failure.Kind);
        Assert.Contains(UploadStateStore.PerUserPath(source, perUserOnTheFullDisk), failure.Message, StringComparison.Ordinal);
        Assert.Contains("The previous state file is kept. Free some space, then run the same command with -Resume.", failure.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "filler.bin", "per-user", "up.bin" }, disk.Entries());
        Assert.Empty(Directory.GetFileSystemEntries(perUserOnTheFullDisk));

        File.Delete(filler);
        var result = await UploadAsync(server, source, perUserOnTheFullDisk);

        Assert.Equal(Sha256(bytes), Sha256(File.ReadAllBytes(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "up.bin"))));
        Assert.Equal(new[] { "per-user", "up.bin" }, disk.Entries());
    }

    [Fact]
    public async Task ASourceOnAFullDiskKeepsItsStatePerUserAndUploads()
    {
        using var disk = new SmallTmpfs(4 * 1024 * 1024);
        await using var server = await ChunkApiServer.StartAsync();
        var source = WriteSource(disk, out var bytes);
        disk.Fill(leave: 0);

        var result = await UploadAsync(server, source, perUser.Path);

        Assert.Equal(Sha256(bytes), Sha256(File.ReadAllBytes(Path.Combine(server.StorageDirectory, result.UploadId!, "merged", "up.bin"))));
        Assert.Equal(new[] { "filler.bin", "up.bin" }, disk.Entries());
    }

    private static string WriteSource(SmallTmpfs disk, out byte[] bytes)
    {
        var source = disk.File("up.bin");
        bytes = new byte[1024 * 1024];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(source, bytes);
        return source;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<UploadResult> UploadAsync(ChunkApiServer server, string path, string perUserFolder)
    {
        var request = new UploadRequest
        {
            Path = path,
            Uri = server.Url,
            Protocol = UploadProtocolKind.ChunkApi,
            ChunkSize = 256 * 1024,
            Connections = 2,
            ExistingUpload = ExistingUploadPolicy.Resume,
            RetryInterval = TimeSpan.FromMilliseconds(10),
            MaxRetries = 3,
        };
        using var protocol = new ChunkApiProtocol(client, request, observer);
        return await new UploadEngine(client, TimeProvider.System, observer) { PerUserStateFolder = perUserFolder }
            .UploadAsync(request, protocol, 1, CancellationToken.None);
    }
}
