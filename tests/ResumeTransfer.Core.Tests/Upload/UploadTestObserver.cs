using System.Collections.Concurrent;

namespace ResumeTransfer.Core.Tests.Upload;

/// <summary>Keeps every message and progress snapshot the upload engine reports, for assertions.</summary>
internal sealed class UploadTestObserver : ITransferObserver
{
    private readonly ConcurrentQueue<(TransferMessageLevel Level, string Text)> messages = new();
    private readonly ConcurrentQueue<TransferProgress> progress = new();

    public IReadOnlyList<(TransferMessageLevel Level, string Text)> Messages => messages.ToArray();

    public IReadOnlyList<string> Warnings => messages.Where(m => m.Level == TransferMessageLevel.Warning).Select(m => m.Text).ToList();

    public IReadOnlyList<TransferProgress> Progress => progress.ToArray();

    public void OnProgress(TransferProgress snapshot) => progress.Enqueue(snapshot);

    public void OnMessage(TransferMessageLevel level, string message) => messages.Enqueue((level, message));
}
