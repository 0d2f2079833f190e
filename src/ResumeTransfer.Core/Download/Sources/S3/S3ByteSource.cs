using System;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources.S3;

/// <summary>Downloads S3 objects through AWSSDK.S3: ranged GetObject conditioned on the first ETag.</summary>
internal sealed class S3ByteSource : IByteSource
{
    public S3ByteSource(DownloadRequest request, ITransferObserver observer, TimeProvider timeProvider)
    {
        DisplayUri = Transfer.HttpOrigin.ForDisplay(request.Uri);
    }

    public Uri DisplayUri { get; }

    /// <summary>Refuses, before any traffic, an address or option this source cannot work with.</summary>
    public static void Validate(DownloadRequest request) =>
        throw new TransferException(TransferErrorKind.InvalidArgument, $"Downloads from {request.Uri.Scheme}:// addresses are not built yet.");

    public Task<SourceProbe> ProbeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<RangeBody> OpenRangeAsync(long offset, long? endInclusive, RemoteIdentity expected, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public void Dispose()
    {
    }
}
