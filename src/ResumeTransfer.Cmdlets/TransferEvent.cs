using ResumeTransfer.Core;

namespace ResumeTransfer.Cmdlets;

/// <summary>Something a worker thread reports for the pipeline thread to write.</summary>
internal abstract record TransferEvent;

/// <summary>A progress snapshot of one transfer.</summary>
internal sealed record ProgressEvent(TransferProgress Progress) : TransferEvent;

/// <summary>A verbose or warning message from the core.</summary>
internal sealed record MessageEvent(TransferMessageLevel Level, string Message) : TransferEvent;

/// <summary>A transfer's task has ended (successfully or not); its outcome is read on the pipeline thread.</summary>
internal sealed record FinishedEvent(RunningTransfer Transfer) : TransferEvent;
