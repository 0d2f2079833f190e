namespace ResumeTransfer.Core;

/// <summary>
/// How the core reports. Called from worker threads: implementations must be cheap and thread-safe
/// (the cmdlets enqueue and write from the pipeline thread). The core never writes to the console.
/// </summary>
public interface ITransferObserver
{
    /// <summary>A progress snapshot; the core calls this at most about 4 times a second per transfer.</summary>
    void OnProgress(TransferProgress progress);

    /// <summary>A message for the user at the given level.</summary>
    void OnMessage(TransferMessageLevel level, string message);
}

/// <summary>Where a message belongs: Verbose for the curious, Warning for something the user should know.</summary>
public enum TransferMessageLevel
{
    Verbose,
    Warning,
}

/// <summary>A point-in-time view of one transfer.</summary>
/// <param name="Id">Stable id of the transfer within its invocation (for one progress bar per transfer).</param>
/// <param name="Name">What to show: the file name.</param>
/// <param name="TotalBytes">The length when known.</param>
/// <param name="CompletedBytes">Bytes on disk (download) or acknowledged by the server (upload), including resumed ones.</param>
/// <param name="BytesPerSecond">Recent speed.</param>
/// <param name="ActiveConnections">Connections moving bytes now.</param>
/// <param name="Phase">What the transfer is doing.</param>
public sealed record TransferProgress(
    int Id,
    string Name,
    long? TotalBytes,
    long CompletedBytes,
    double BytesPerSecond,
    int ActiveConnections,
    TransferPhase Phase);

/// <summary>The stages of a transfer, for the progress status line.</summary>
public enum TransferPhase
{
    Probing,
    Transferring,
    Verifying,
    Completed,
}

/// <summary>An observer that drops everything, for callers that do not listen.</summary>
public sealed class NullTransferObserver : ITransferObserver
{
    public static readonly NullTransferObserver Instance = new();

    public void OnProgress(TransferProgress progress)
    {
    }

    public void OnMessage(TransferMessageLevel level, string message)
    {
    }
}
