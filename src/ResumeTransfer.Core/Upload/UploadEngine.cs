using System;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Upload;

/// <summary>
/// Uploads one file resumably over any <see cref="IUploadProtocol"/>: locks and keeps the state file, checks the source
/// fingerprint (a changed source abandons the old upload with a warning), asks the server what it holds (the server is
/// the truth), sends the missing chunks (in parallel where the protocol allows) with retries, journals every
/// acknowledged chunk atomically, completes and verifies. Cancelling leaves a state that the next Resume continues.
/// A state file whose upload URL is on another origin than the request's address is never followed.
/// </summary>
public sealed class UploadEngine
{
    private readonly HttpClient client;
    private readonly TimeProvider time;
    private readonly ITransferObserver observer;

    public UploadEngine(HttpClient client, TimeProvider time, ITransferObserver observer)
    {
        this.client = client;
        this.time = time;
        this.observer = observer;
    }

    /// <summary>Where state goes when the source's folder is not writable; null = LocalApplicationData/ResumeTransfer/uploads (tests override it).</summary>
    public string? PerUserStateFolder { get; init; }

    /// <summary>Uploads <paramref name="request"/>, choosing the protocol from <see cref="UploadRequest.Protocol"/> (Auto asks the server).</summary>
    /// <param name="request">What to upload where.</param>
    /// <param name="transferId">Id for the progress snapshots of this transfer.</param>
    /// <param name="cancellationToken">Stops the upload, leaving a resumable state.</param>
    public async Task<UploadResult> UploadAsync(UploadRequest request, int transferId, CancellationToken cancellationToken)
    {
        using var protocol = await UploadProtocolResolver.CreateAsync(client, request, observer, cancellationToken).ConfigureAwait(false);
        return await UploadAsync(request, protocol, transferId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Uploads <paramref name="request"/> over the given protocol (which stays the caller's to dispose).</summary>
    /// <param name="request">What to upload where.</param>
    /// <param name="protocol">The protocol to speak.</param>
    /// <param name="transferId">Id for the progress snapshots of this transfer.</param>
    /// <param name="cancellationToken">Stops the upload, leaving a resumable state.</param>
    public Task<UploadResult> UploadAsync(UploadRequest request, IUploadProtocol protocol, int transferId, CancellationToken cancellationToken)
    {
        var run = new UploadRun(request, protocol, time, observer, transferId, PerUserStateFolder);
        return run.ExecuteAsync(cancellationToken);
    }
}
