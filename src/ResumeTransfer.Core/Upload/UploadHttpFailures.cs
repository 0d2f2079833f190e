using System;
using System.Net.Http;
using ResumeTransfer.Core.Sources.Http;

namespace ResumeTransfer.Core.Upload;

/// <summary>Forwards to <see cref="HttpFailures"/>, the one classifier; kept only until the protocols call it directly.</summary>
public static class UploadHttpFailures
{
    public static TransferException FromStatus(HttpResponseMessage response, string what) => HttpFailures.FromStatus(response, what);

    public static TransferException FromTransport(Exception exception, Uri where) => HttpFailures.FromTransport(exception, where);

    public static bool IsTransport(Exception exception) => HttpFailures.IsTransport(exception);
}
