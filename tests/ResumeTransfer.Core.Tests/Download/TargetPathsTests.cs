using ResumeTransfer.Core.Download;
using ResumeTransfer.Core.Tests.Infrastructure;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class TargetPathsTests : IDisposable
{
    private readonly TempDir temp = new("rt-paths");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void SidecarFilesSitBesideTheTarget()
    {
        var paths = TargetPaths.ForFile(temp.File("a.iso"));

        Assert.Equal(temp.File("a.iso"), paths.Target);
        Assert.Equal(temp.File("a.iso.rtpart"), paths.Part);
        Assert.Equal(temp.File("a.iso.rtstate"), paths.State);
        Assert.Equal(temp.File("a.iso.rtlock"), paths.Lock);
        Assert.Equal("a.iso", paths.FileName);
    }

    [Theory]
    [InlineData("../../etc/passwd", "http://h/x/y.bin", "passwd")]
    [InlineData(null, "http://h/dir/file%20name.bin?q=1", "file name.bin")]
    [InlineData(null, "http://h/a/..%2F..%2Fescape.sh", "escape.sh")]
    [InlineData(null, "http://h/a/%2e%2e", "download")]
    [InlineData(null, "http://h/", "download")]
    [InlineData("...", "http://h/CON", "_CON")]
    public void DirectoryTargetIsASafeNameDirectlyInsideTheDirectory(string? suggested, string uri, string expectedName)
    {
        var paths = TargetPaths.InDirectory(temp.Path + Path.DirectorySeparatorChar, suggested, new Uri(uri));

        Assert.Equal(expectedName, paths.FileName);
        Assert.Equal(temp.Path, Path.GetDirectoryName(paths.Target));
    }
}
