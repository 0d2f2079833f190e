using ResumeTransfer.Core.Download.Sources.Http;
using Xunit;

namespace ResumeTransfer.Core.Tests.Http;

public class ContentDispositionFileNameTests
{
    [Theory]
    [InlineData("attachment; filename=\"report.pdf\"", "report.pdf")]
    [InlineData("attachment; filename=report.pdf", "report.pdf")]
    [InlineData("attachment;filename=report.pdf", "report.pdf")]
    [InlineData("inline; FILENAME = \"report.pdf\"", "report.pdf")]
    [InlineData("attachment; filename=\"a;b.txt\"; size=3", "a;b.txt")]
    [InlineData("attachment; filename=\"say \\\"hi\\\".txt\"", "say \"hi\".txt")]
    [InlineData("attachment; filename=\"back\\\\slash.txt\"", "back\\slash.txt")]
    [InlineData("attachment; filename=\"../../etc/passwd\"", "../../etc/passwd")] // raw: the engine makes it safe
    [InlineData("attachment; size=3; filename=x.bin", "x.bin")]
    [InlineData("attachment; filename=\"unterminated.txt", "unterminated.txt")]
    [InlineData("attachment; filename=\"first.txt\"; filename=\"second.txt\"", "first.txt")]
    [InlineData("attachment; filename=\"na%C3%AFve.txt\"", "na%C3%AFve.txt")] // percent-encoding means nothing in filename
    public void ReadsPlainFileName(string header, string expected)
    {
        Assert.Equal(expected, ContentDispositionFileName.Parse(header));
    }

    [Theory]
    [InlineData("attachment; filename*=UTF-8''na%C3%AFve%20file.txt", "naïve file.txt")]
    [InlineData("attachment; filename*=utf-8'en'%E2%82%AC%20rates.txt", "€ rates.txt")]
    [InlineData("attachment; filename*=ISO-8859-1''%E4rger.txt", "ärger.txt")]
    [InlineData("attachment; filename*=iso-8859-1'de'%C4.txt", "Ä.txt")]
    [InlineData("attachment; filename*=\"UTF-8''quoted%20anyway.txt\"", "quoted anyway.txt")] // invalid but common
    [InlineData("attachment; FILENAME*=UTF-8''upper.txt", "upper.txt")]
    public void DecodesExtendedFileName(string header, string expected)
    {
        Assert.Equal(expected, ContentDispositionFileName.Parse(header));
    }

    [Theory]
    [InlineData("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC.txt", "€.txt")]
    [InlineData("attachment; filename*=UTF-8''%E2%82%AC.txt; filename=\"fallback.txt\"", "€.txt")]
    public void ExtendedFileNameWinsInAnyOrder(string header, string expected)
    {
        Assert.Equal(expected, ContentDispositionFileName.Parse(header));
    }

    [Theory]
    [InlineData("attachment; filename*=UTF-8''bad%ZZ.txt; filename=\"fallback.txt\"")] // bad hex
    [InlineData("attachment; filename*=UTF-8''cut%E.txt; filename=\"fallback.txt\"")] // short escape
    [InlineData("attachment; filename*=UTF-8''%FF%FE.txt; filename=\"fallback.txt\"")] // not UTF-8
    [InlineData("attachment; filename*=KOI8-R''%C1.txt; filename=\"fallback.txt\"")] // unknown charset
    [InlineData("attachment; filename*=no-quotes.txt; filename=\"fallback.txt\"")] // no charset part
    [InlineData("attachment; filename*=UTF-8''raw space.txt; filename=\"fallback.txt\"")] // not an attr-char
    [InlineData("attachment; filename*=UTF-8''; filename=\"fallback.txt\"")] // empty
    public void FallsBackToPlainFileNameWhenExtendedIsUnusable(string header)
    {
        Assert.Equal("fallback.txt", ContentDispositionFileName.Parse(header));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("attachment")]
    [InlineData("inline; size=10")]
    [InlineData("attachment; filename=")]
    [InlineData("attachment; filename=\"\"")]
    [InlineData("attachment; filename=\"   \"")]
    [InlineData("attachment; filename*=UTF-8''%ZZ")]
    [InlineData("attachment; filename")]
    public void ReturnsNullWithoutAUsableName(string? header)
    {
        Assert.Null(ContentDispositionFileName.Parse(header));
    }

    [Fact]
    public void RepairsRawUtf8ThatArrivedAsLatin1()
    {
        // "café.txt" sent as raw UTF-8 bytes and decoded by the header parser as ISO-8859-1.
        var mojibake = "caf\u00C3\u00A9.txt";
        Assert.Equal("café.txt", ContentDispositionFileName.Parse($"attachment; filename=\"{mojibake}\""));

        // Real Latin-1 that is not valid UTF-8 stays as it is.
        Assert.Equal("caf\u00E9.txt", ContentDispositionFileName.Parse("attachment; filename=\"caf\u00E9.txt\""));
    }
}
