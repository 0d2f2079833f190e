using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>
/// An in-memory source whose answers a test scripts, for server behaviour the test server cannot produce on demand
/// (a 416 in the middle of a download, a resource that changes on every request).
/// </summary>
internal sealed class ScriptedByteSource : IByteSource
{
    private readonly Func<int, SourceProbe> probe;
    private readonly Func<int, long, long?, RemoteIdentity, RangeBody> open;
    private int probes;
    private int opens;

    public ScriptedByteSource(Func<int, SourceProbe> probe, Func<int, long, long?, RemoteIdentity, RangeBody> open)
    {
        this.probe = probe;
        this.open = open;
    }

    public Uri DisplayUri { get; } = new("http://scripted.invalid/file.bin");

    public int Probes => Volatile.Read(ref probes);

    public int Opens => Volatile.Read(ref opens);

    public static RangeBody Partial(byte[] content, long offset, long? endInclusive, RemoteIdentity identity)
    {
        var end = endInclusive ?? content.Length - 1;
        var length = (int)(end - offset + 1);
        return new RangeBody(RangeAnswer.Partial, offset, length, identity, new MemoryStream(content, (int)offset, length, writable: false));
    }

    public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken) =>
        Task.FromResult(probe(Interlocked.Increment(ref probes)));

    public Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken) =>
        Task.FromResult(open(Interlocked.Increment(ref opens), offset, endInclusive, expected));

    public void Dispose()
    {
    }
}
