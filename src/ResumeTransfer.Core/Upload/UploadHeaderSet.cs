using System.Collections.Generic;
using System.Net.Http;
using ResumeTransfer.Core.Transfer;

namespace ResumeTransfer.Core.Upload;

/// <summary>Forwards to <see cref="RequestPolicy"/>, the one header and credential policy; kept only until the protocols use it directly.</summary>
public sealed class UploadHeaderSet
{
    private readonly RequestPolicy policy;

    public UploadHeaderSet(UploadRequest request, ITransferObserver observer, IEnumerable<string> controlled) =>
        policy = new RequestPolicy(request, controlled, observer);

    public void Apply(HttpRequestMessage message) => policy.Apply(message);
}
