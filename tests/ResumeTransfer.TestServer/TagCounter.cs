using System.Collections.Concurrent;

namespace ResumeTransfer.TestServer;

/// <summary>
/// Counts file requests per tag, atomically, so <c>times=K</c> and <c>changeafter=K</c> hold under
/// multi-connection clients that hit the server in parallel.
/// </summary>
internal sealed class TagCounter
{
    private readonly ConcurrentDictionary<string, StrongBox> _counts = new(StringComparer.Ordinal);

    /// <summary>Counts one more request for <paramref name="tag"/> and returns its 1-based number.</summary>
    public int Next(string tag) => Interlocked.Increment(ref _counts.GetOrAdd(tag, static _ => new StrongBox()).Value);

    private sealed class StrongBox
    {
        public int Value;
    }
}
