namespace ResumeTransfer.Core;

/// <summary>
/// Why a transfer failed. The cmdlet layer turns each kind into an ErrorRecord whose ErrorId is the
/// kind's name, so these names are public contract: add new ones, never rename.
/// </summary>
public enum TransferErrorKind
{
    /// <summary>The remote resource changed (ETag, Last-Modified or length) and the user asked not to start over, or it kept changing.</summary>
    RemoteChanged,
    /// <summary>The server does not honour byte ranges where they are required.</summary>
    RangeNotSupported,
    /// <summary>The finished data does not have the expected length or hash.</summary>
    IntegrityCheckFailed,
    /// <summary>No byte arrived for the stall timeout, after every retry.</summary>
    TransferTimedOut,
    /// <summary>Another process holds the lock on this target's state.</summary>
    StateLocked,
    /// <summary>The server answered something the protocol does not allow (wrong Content-Range, encoded range...).</summary>
    ProtocolViolation,
    /// <summary>The target or a partial download exists and neither -Resume nor -Force was given.</summary>
    TargetExists,
    /// <summary>The server answered an HTTP error status that retrying did not fix.</summary>
    HttpError,
    /// <summary>More redirects than allowed.</summary>
    TooManyRedirects,
    /// <summary>A connection could not be made or kept, after every retry.</summary>
    ConnectionFailed,
    /// <summary>The state file cannot be read or belongs to another download.</summary>
    InvalidState,
    /// <summary>A file name derived from the server or URL is not usable.</summary>
    InvalidFileName,
    /// <summary>Credentials were refused (401/403).</summary>
    AccessDenied,
    /// <summary>The remote resource does not exist (404/410).</summary>
    NotFound,
    /// <summary>Input given by the caller is not valid.</summary>
    InvalidArgument,
    /// <summary>The disk has no room for the data; the state is saved, so -Resume continues once space is freed.</summary>
    DiskFull,
    /// <summary>A redirect (or a stored upload address) would move from https to unencrypted http.</summary>
    InsecureRedirect,
}
