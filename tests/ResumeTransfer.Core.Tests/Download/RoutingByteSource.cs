using ResumeTransfer.Core.Download.Sources;

namespace ResumeTransfer.Core.Tests.Download;

/// <summary>
/// Two real sources for one file: probes go to the first, each range to the one <c>route(offset)</c> picks. Lets a test
/// give one segment another server behaviour (a throttled connection, a server that ignores ranges after the probe),
/// which a fault counted per request cannot do.
/// </summary>
internal sealed class RoutingByteSource : IByteSource
{
    private readonly IByteSource probeSource;
    private readonly IByteSource otherSource;
    private readonly Func<long, bool> useOther;

    public RoutingByteSource(IByteSource probeSource, IByteSource otherSource, Func<long, bool> useOther)
    {
        this.probeSource = probeSource;
        this.otherSource = otherSource;
        this.useOther = useOther;
    }

    public Uri DisplayUri => probeSource.DisplayUri;

    public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken) => probeSource.ProbeAsync(cancellationToken);

    public Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken) =>
        (useOther(offset) ? otherSource : probeSource).OpenRangeAsync(offset, endInclusive, expected, cancellationToken);

    public void Dispose()
    {
        probeSource.Dispose();
        otherSource.Dispose();
    }
}
