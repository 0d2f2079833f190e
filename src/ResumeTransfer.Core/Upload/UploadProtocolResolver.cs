using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ResumeTransfer.Core.Transfer;
using ResumeTransfer.Core.Upload.ChunkApi;
using ResumeTransfer.Core.Upload.S3;
using ResumeTransfer.Core.Upload.Tus;

namespace ResumeTransfer.Core.Upload;

/// <summary>Picks and builds the <see cref="IUploadProtocol"/> for a request.</summary>
public static class UploadProtocolResolver
{
    /// <summary>
    /// The protocol for <paramref name="request"/>: the one asked for, or for Auto: S3 for s3://, and for http(s) what the
    /// server says (tus OPTIONS, then the chunk API's status call). Fails with InvalidArgument when it cannot tell.
    /// </summary>
    public static async Task<IUploadProtocol> CreateAsync(HttpClient client, UploadRequest request, ITransferObserver observer, CancellationToken cancellationToken)
    {
        var kind = request.Protocol;
        var scheme = request.Uri.Scheme;
        if (request.ChunkApi.IsCustom)
        {
            // A chunk API profile says which protocol it is; such servers cannot be told apart by asking them.
            if (kind is not (UploadProtocolKind.Auto or UploadProtocolKind.ChunkApi))
            {
                throw new TransferException(TransferErrorKind.InvalidArgument, $"-ChunkApiProfile, -ChunkApiFields, -ChunkApiNumberBase and -ChunkApiMergePath are for chunk API servers, not -Protocol {kind}. Leave them out, or use -Protocol ChunkApi.");
            }

            return new ChunkFormProtocol(client, request, observer);
        }

        if (kind == UploadProtocolKind.Auto)
        {
            kind = await DetectAsync(client, request, observer, cancellationToken).ConfigureAwait(false);
        }

        if (kind == UploadProtocolKind.S3 && !string.Equals(scheme, "s3", StringComparison.OrdinalIgnoreCase))
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"S3 uploads go to s3://bucket/key addresses (with -Endpoint for S3-compatible stores), not '{HttpOrigin.ForDisplay(request.Uri)}'.");
        }

        return kind switch
        {
            UploadProtocolKind.Tus => new TusProtocol(client, request, observer),
            UploadProtocolKind.S3 => new S3MultipartProtocol(request, observer),
            UploadProtocolKind.ChunkApi => new ChunkApiProtocol(client, request, observer),
            _ => throw new TransferException(TransferErrorKind.InvalidArgument, $"The {kind} protocol is not available in this build."),
        };
    }

    private static async Task<UploadProtocolKind> DetectAsync(HttpClient client, UploadRequest request, ITransferObserver observer, CancellationToken cancellationToken)
    {
        var scheme = request.Uri.Scheme;
        if (string.Equals(scheme, "s3", StringComparison.OrdinalIgnoreCase))
        {
            return UploadProtocolKind.S3;
        }

        if (scheme != Uri.UriSchemeHttp && scheme != Uri.UriSchemeHttps)
        {
            throw new TransferException(TransferErrorKind.InvalidArgument, $"'{scheme}:' addresses cannot be uploaded to. Use s3://bucket/key, or an http(s) tus or chunk-API address.");
        }

        var headers = new RequestPolicy(request, Array.Empty<string>(), observer);
        if (await TusProtocol.DiscoverAsync(client, request.Uri, headers, cancellationToken).ConfigureAwait(false) is not null)
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"{HttpOrigin.ForDisplay(request.Uri)} is a tus server (it answered OPTIONS with Tus-Version).");
            return UploadProtocolKind.Tus;
        }

        if (await ChunkApiProtocol.DiscoverAsync(client, request.Uri, headers, cancellationToken).ConfigureAwait(false))
        {
            observer.OnMessage(TransferMessageLevel.Verbose, $"{HttpOrigin.ForDisplay(request.Uri)} is a chunk API server (its status call answered upload_not_found for an unknown upload).");
            return UploadProtocolKind.ChunkApi;
        }

        throw new TransferException(
            TransferErrorKind.InvalidArgument,
            $"Cannot tell which upload protocol {HttpOrigin.ForDisplay(request.Uri)} speaks: it answered neither as a tus server (OPTIONS) nor as a chunk API server (status call). Say which with -Protocol Tus, S3 or ChunkApi.");
    }
}
