using System.Collections.Concurrent;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>Keeps every message and progress snapshot the engine reports, for assertions.</summary>
internal sealed class DownloadObserver : ITransferObserver
{
    private readonly ConcurrentQueue<(TransferMessageLevel Level, string Text)> messages = new();
    private readonly ConcurrentQueue<TransferProgress> progress = new();

    public IReadOnlyList<(TransferMessageLevel Level, string Text)> Messages => messages.ToArray();

    public IReadOnlyList<TransferProgress> Progress => progress.ToArray();

    public IEnumerable<string> Warnings => Messages.Where(m => m.Level == TransferMessageLevel.Warning).Select(m => m.Text);

    public IEnumerable<string> Verbose => Messages.Where(m => m.Level == TransferMessageLevel.Verbose).Select(m => m.Text);

    public void OnProgress(TransferProgress snapshot) => progress.Enqueue(snapshot);

    public void OnMessage(TransferMessageLevel level, string message) => messages.Enqueue((level, message));

    public override string ToString() => string.Join(Environment.NewLine, Messages.Select(m => $"{m.Level}: {m.Text}"));
}
