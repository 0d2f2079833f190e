using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Upload;

/// <summary>Picks and builds the <see cref="IUploadProtocol"/> for a request.</summary>
public static class UploadProtocolResolver
{
    /// <summary>
    /// The protocol for <paramref name="request"/>: the one asked for, or for Auto: S3 for s3://, and for http(s) what the
    /// server says (tus OPTIONS). Fails with InvalidArgument when it cannot tell.
    /// </summary>
    public static Task<IUploadProtocol> CreateAsync(HttpClient client, UploadRequest request, ITransferObserver observer, CancellationToken cancellationToken)
    {
        _ = client;
        _ = observer;
        _ = cancellationToken;
        throw new TransferException(
            TransferErrorKind.InvalidArgument,
            $"No upload protocol is available yet for '{request.Uri}' ({request.Protocol}).");
    }
}
