using ResumeTransfer.Core.Upload;
using Xunit;

namespace ResumeTransfer.Core.Tests.Upload;

public sealed class ChunkPlannerTests
{
    private const long MiB = 1024 * 1024;
    private static readonly ChunkLimits S3 = new(5 * MiB, 5L * 1024 * MiB, 8 * MiB, 10_000);

    [Fact]
    public void DefaultIsUsedWhenFileFits()
    {
        Assert.Equal(8 * MiB, ChunkPlanner.ChooseChunkSize(null, S3, 100 * MiB, "S3", out var grown));
        Assert.False(grown);
    }

    [Fact]
    public void ChunkGrowsToWholeMiBSoTheFileFitsInTheMaximumCount()
    {
        var length = 5L * 1024 * 1024 * MiB; // 5 TiB, the S3 maximum object
        var size = ChunkPlanner.ChooseChunkSize(null, S3, length, "S3", out var grown);

        Assert.True(grown);
        Assert.Equal(0, size % MiB);
        Assert.True(ChunkPlanner.CountFor(length, size) <= 10_000);
        Assert.True(ChunkPlanner.CountFor(length, size - MiB) > 10_000, "the smallest whole-MiB size that fits");
        Assert.Equal(525 * MiB, size);
    }

    [Fact]
    public void RequestedSizeBelowMinimumIsInvalidArgument()
    {
        var error = Assert.Throws<TransferException>(() => ChunkPlanner.ChooseChunkSize(MiB, S3, 10, "S3", out _));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("-ChunkSize 5242880", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestedSizeIsGrownTooWhenTheFileWouldNotFit()
    {
        var size = ChunkPlanner.ChooseChunkSize(5 * MiB, S3, 100_000 * MiB, "S3", out var grown);
        Assert.True(grown);
        Assert.Equal(10 * MiB, size);
    }

    [Fact]
    public void FileTooLargeForTheLargestChunksIsInvalidArgument()
    {
        var error = Assert.Throws<TransferException>(() => ChunkPlanner.ChooseChunkSize(null, S3, 6L * 1024 * 1024 * 1024 * MiB, "S3", out _));
        Assert.Equal(TransferErrorKind.InvalidArgument, error.Kind);
    }

    [Fact]
    public void ChunksLieOnTheGridAndAnEmptyFileIsOneEmptyChunk()
    {
        Assert.Equal(new[] { new UploadChunk(1, 0, 0) }, ChunkPlanner.All(0, 10));
        Assert.Equal(new[] { new UploadChunk(1, 0, 10), new UploadChunk(2, 10, 10), new UploadChunk(3, 20, 1) }, ChunkPlanner.All(21, 10));
        Assert.Equal(new UploadChunk(3, 20, 1), ChunkPlanner.Chunk(3, 21, 10));
    }

    [Fact]
    public void OffsetPlanStartsMidGridThenFollowsIt()
    {
        Assert.Equal(new[] { new UploadChunk(1, 7, 3), new UploadChunk(2, 10, 10), new UploadChunk(3, 20, 1) }, ChunkPlanner.FromOffset(7, 21, 10));
        Assert.Empty(ChunkPlanner.FromOffset(21, 21, 10));
        Assert.Empty(ChunkPlanner.FromOffset(0, 0, 10));
    }

    [Theory]
    [InlineData(0L, 1, 0L)]        // an empty file is one empty chunk on both grids
    [InlineData(1L, 1, 1L)]        // shorter than a chunk: one chunk, the whole file
    [InlineData(9L, 1, 9L)]
    [InlineData(10L, 1, 10L)]
    [InlineData(19L, 1, 19L)]      // floor(19 / 10) = 1: the only chunk takes the remainder, almost twice the size
    [InlineData(20L, 2, 10L)]
    [InlineData(21L, 2, 11L)]
    [InlineData(39L, 3, 19L)]
    public void OnFlowJsGridTheLastChunkTakesTheRemainder(long length, int count, long lastLength)
    {
        Assert.Equal(count, ChunkPlanner.CountFor(length, 10, remainderInLast: true));
        var all = ChunkPlanner.All(length, 10, remainderInLast: true);
        Assert.Equal(Enumerable.Range(1, count), all.Select(c => c.Number));
        Assert.All(all.SkipLast(1), c => Assert.Equal(10, c.Length));
        Assert.Equal(lastLength, all[^1].Length);
        Assert.Equal(length, all.Sum(c => c.Length));
        Assert.Equal(all[^1], ChunkPlanner.Chunk(count, length, 10, remainderInLast: true));
    }
}
