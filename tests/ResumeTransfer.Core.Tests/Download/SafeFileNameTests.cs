using System.Text;
using ResumeTransfer.Core.Download;
using Xunit;

namespace ResumeTransfer.Core.Tests.Download;

public sealed class SafeFileNameTests
{
    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("..\\..\\x", "x")]
    [InlineData("/absolute/path/file.bin", "file.bin")]
    [InlineData("C:\\Windows\\System32\\evil.dll", "evil.dll")]
    [InlineData("a\u0000b", "ab")]
    [InlineData("line\r\nbreak.txt", "linebreak.txt")]
    [InlineData("what?<>:\"|*.txt", "what_______.txt")]
    [InlineData("report.pdf. . .", "report.pdf")]
    [InlineData(".bashrc", "bashrc")]
    [InlineData("  spaced name.zip  ", "spaced name.zip")]
    [InlineData("gpj\u202E.exe", "gpj.exe")]
    [InlineData("näme ✓.bin", "näme ✓.bin")]
    [InlineData("other.rtstate", "other.rtstate")]              // TargetPaths.InDirectory refuses it (PlantedFilesTests)
    public void KeepsOnlyASafeBaseName(string raw, string expected)
    {
        Assert.Equal(expected, SafeFileName.From(raw));
    }

    [Theory]
    [InlineData("CON")]
    [InlineData("con.txt")]
    [InlineData("NUL")]
    [InlineData("com1.log")]
    [InlineData("LPT9")]
    [InlineData("aux .tar.gz")]
    public void PrefixesWindowsDeviceNames(string raw)
    {
        Assert.Equal("_" + raw, SafeFileName.From(raw));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("...")]
    [InlineData("..")]
    [InlineData("../")]
    [InlineData("a/b/")]
    [InlineData("\u0001\u0002")]
    public void ReturnsNullWhenNothingUsableIsLeft(string? raw)
    {
        Assert.Null(SafeFileName.From(raw));
    }

    [Fact]
    public void ShortensLongNamesToTheByteLimitKeepingTheExtension()
    {
        var name = SafeFileName.From(new string('a', 1000) + ".tar.gz");

        Assert.NotNull(name);
        Assert.True(Encoding.UTF8.GetByteCount(name) <= SafeFileName.MaxUtf8Bytes);
        Assert.EndsWith(".gz", name, StringComparison.Ordinal);
        Assert.StartsWith("aaaa", name, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortensMultiByteNamesWithoutSplittingCharacters()
    {
        // U+1F600 is a surrogate pair (4 UTF-8 bytes); "é" is 2 bytes.
        var name = SafeFileName.From(string.Concat(Enumerable.Repeat("é\U0001F600", 200)));

        Assert.NotNull(name);
        Assert.True(Encoding.UTF8.GetByteCount(name) <= SafeFileName.MaxUtf8Bytes);
        Assert.True(Encoding.UTF8.GetByteCount(name) > SafeFileName.MaxUtf8Bytes - 6);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]))
            {
                Assert.True(i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]), "a surrogate pair was split");
                i++;
            }
            else
            {
                Assert.False(char.IsSurrogate(name[i]), "a lone surrogate was left");
            }
        }
    }
}
