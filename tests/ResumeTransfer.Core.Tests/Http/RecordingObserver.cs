using System.Collections.Concurrent;

namespace ResumeTransfer.Core.Tests.Http;

/// <summary>Keeps every message the core reports, for assertions.</summary>
internal sealed class RecordingObserver : ITransferObserver
{
    private readonly ConcurrentQueue<(TransferMessageLevel Level, string Text)> messages = new();

    public IReadOnlyList<(TransferMessageLevel Level, string Text)> Messages => messages.ToArray();

    public void OnProgress(TransferProgress progress)
    {
    }

    public void OnMessage(TransferMessageLevel level, string message) => messages.Enqueue((level, message));
}
