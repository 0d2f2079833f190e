using System;
using System.IO;
using System.Management.Automation;
using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>
/// Turns failures into ErrorRecords whose ErrorId is the <see cref="TransferErrorKind"/> name, so scripts can
/// branch on <c>$_.FullyQualifiedErrorId</c> and Pester on <c>Should -Throw -ErrorId</c>. These ids are public contract.
/// </summary>
internal static class ErrorRecordFactory
{
    /// <summary>The ErrorId of anything the core did not classify (a bug, or a local I/O problem).</summary>
    public const string UnexpectedErrorId = "UnexpectedError";

    public static ErrorCategory CategoryOf(TransferErrorKind kind) => kind switch
    {
        TransferErrorKind.StateLocked => ErrorCategory.ResourceBusy,
        TransferErrorKind.TargetExists => ErrorCategory.ResourceExists,
        TransferErrorKind.RemoteChanged => ErrorCategory.InvalidData,
        TransferErrorKind.IntegrityCheckFailed => ErrorCategory.InvalidResult,
        TransferErrorKind.ProtocolViolation => ErrorCategory.ProtocolError,
        TransferErrorKind.TransferTimedOut => ErrorCategory.OperationTimeout,
        TransferErrorKind.ConnectionFailed => ErrorCategory.ConnectionError,
        TransferErrorKind.AccessDenied => ErrorCategory.PermissionDenied,
        TransferErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        TransferErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        TransferErrorKind.RangeNotSupported => ErrorCategory.NotImplemented,
        TransferErrorKind.InvalidState => ErrorCategory.InvalidData,
        TransferErrorKind.InvalidFileName => ErrorCategory.InvalidArgument,
        TransferErrorKind.TooManyRedirects => ErrorCategory.InvalidOperation,
        TransferErrorKind.HttpError => ErrorCategory.InvalidOperation,
        TransferErrorKind.DiskFull => ErrorCategory.WriteError,
        TransferErrorKind.InsecureRedirect => ErrorCategory.SecurityError,
        _ => ErrorCategory.NotSpecified,
    };

    public static ErrorRecord FromTransferException(TransferException exception, object? target) =>
        new(exception, exception.Kind.ToString(), CategoryOf(exception.Kind), target);

    /// <summary>A failure found by the cmdlet itself, reported with the same ids as the core's.</summary>
    public static ErrorRecord Create(TransferErrorKind kind, string message, object? target, Exception? inner = null) =>
        FromTransferException(new TransferException(kind, message, inner), target);

    /// <summary>Any exception: classified ones keep their kind, the rest become <see cref="UnexpectedErrorId"/>.</summary>
    public static ErrorRecord FromException(Exception exception, object? target)
    {
        if (exception is TransferException transfer)
        {
            return FromTransferException(transfer, target);
        }

        var category = exception switch
        {
            UnauthorizedAccessException => ErrorCategory.PermissionDenied,
            IOException => ErrorCategory.WriteError,
            _ => ErrorCategory.NotSpecified,
        };
        return new ErrorRecord(exception, UnexpectedErrorId, category, target);
    }
}
