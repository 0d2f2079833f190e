using System.Management.Automation;
using ResumeTransfer.Cmdlets;
using Xunit;

namespace ResumeTransfer.Core.Tests.Cmdlets;

public sealed class ErrorRecordFactoryTests
{
    public static TheoryData<TransferErrorKind, ErrorCategory> Categories => new()
    {
        { TransferErrorKind.StateLocked, ErrorCategory.ResourceBusy },
        { TransferErrorKind.TargetExists, ErrorCategory.ResourceExists },
        { TransferErrorKind.RemoteChanged, ErrorCategory.InvalidData },
        { TransferErrorKind.IntegrityCheckFailed, ErrorCategory.InvalidResult },
        { TransferErrorKind.ProtocolViolation, ErrorCategory.ProtocolError },
        { TransferErrorKind.TransferTimedOut, ErrorCategory.OperationTimeout },
        { TransferErrorKind.ConnectionFailed, ErrorCategory.ConnectionError },
        { TransferErrorKind.AccessDenied, ErrorCategory.PermissionDenied },
        { TransferErrorKind.NotFound, ErrorCategory.ObjectNotFound },
        { TransferErrorKind.InvalidArgument, ErrorCategory.InvalidArgument },
        { TransferErrorKind.RangeNotSupported, ErrorCategory.NotImplemented },
        { TransferErrorKind.InvalidState, ErrorCategory.InvalidData },
        { TransferErrorKind.InvalidFileName, ErrorCategory.InvalidArgument },
        { TransferErrorKind.TooManyRedirects, ErrorCategory.InvalidOperation },
        { TransferErrorKind.HttpError, ErrorCategory.InvalidOperation },
        { TransferErrorKind.DiskFull, ErrorCategory.WriteError },
        { TransferErrorKind.InsecureRedirect, ErrorCategory.SecurityError },
    };

    [Theory]
    [MemberData(nameof(Categories))]
    public void EachKindIsItsOwnErrorIdWithItsCategoryAndTheUriAsTarget(TransferErrorKind kind, ErrorCategory category)
    {
        var uri = new Uri("http://127.0.0.1/x");
        var exception = new TransferException(kind, "what happened; what to do");

        var record = ErrorRecordFactory.FromException(exception, uri);

        Assert.Equal(kind.ToString(), record.FullyQualifiedErrorId);
        Assert.Equal(category, record.CategoryInfo.Category);
        Assert.Same(uri, record.TargetObject);
        Assert.Same(exception, record.Exception);
    }

    [Fact]
    public void EveryKindHasACategory()
    {
        var mapped = Categories.Select(row => (TransferErrorKind)row[0]).ToHashSet();

        Assert.All(Enum.GetValues<TransferErrorKind>(), kind =>
        {
            Assert.Contains(kind, mapped);
            Assert.NotEqual(ErrorCategory.NotSpecified, ErrorRecordFactory.CategoryOf(kind));
        });
    }

    [Fact]
    public void TransientFailuresKeepTheirKind()
    {
        var record = ErrorRecordFactory.FromException(new TransientTransferException(TransferErrorKind.ConnectionFailed, "reset"), null);

        Assert.Equal("ConnectionFailed", record.FullyQualifiedErrorId);
    }

    [Fact]
    public void AnythingElseIsUnexpectedError()
    {
        var record = ErrorRecordFactory.FromException(new IOException("disk full"), "t");

        Assert.Equal("UnexpectedError", record.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.WriteError, record.CategoryInfo.Category);
    }
}
