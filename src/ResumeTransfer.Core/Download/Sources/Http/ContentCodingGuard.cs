using System;
using System.Net.Http;
using System.Threading;

namespace ResumeTransfer.Core.Download.Sources.Http;

/// <summary>
/// Keeps the bytes of one download in one content coding. The answer that starts a version (a probe, or a 200 of a new
/// version) sets the coding; every later answer of that version must have the same, because bytes of two encodings of
/// one file (a server or a mirror that compresses some answers and not others) cannot be joined. An encoded version is
/// saved as served, with one warning per download.
/// </summary>
/// <remarks>Thread-safe: the connections of one download check their answers at the same time.</remarks>
internal sealed class ContentCodingGuard
{
    private const string Identity = "identity";

    private readonly ITransferObserver observer;
    private string? coding;
    private int warned;

    public ContentCodingGuard(ITransferObserver observer)
    {
        this.observer = observer;
    }

    /// <summary>An answer that starts a version: its coding is the one from now on.</summary>
    public void Start(HttpResponseMessage response, Uri where)
    {
        var seen = CodingOf(response);
        Volatile.Write(ref coding, seen);
        WarnIfEncoded(seen, where);
    }

    /// <summary>An answer of the version being fetched; the first one sets the coding when no answer started it.</summary>
    /// <exception cref="TransientTransferException">ProtocolViolation: the answer comes in another coding than the first one.</exception>
    public void Continue(HttpResponseMessage response, Uri where)
    {
        var seen = CodingOf(response);
        var first = Interlocked.CompareExchange(ref coding, seen, null) ?? seen;
        if (!string.Equals(first, seen, StringComparison.Ordinal))
        {
            throw new TransientTransferException(
                TransferErrorKind.ProtocolViolation,
                $"{where} sent this answer with Content-Encoding '{seen}' where the first one had '{first}'; bytes of two encodings of the file cannot be joined, so the answer is discarded.")
            { StatusCode = (int)response.StatusCode };
        }

        WarnIfEncoded(seen, where);
    }

    private static string CodingOf(HttpResponseMessage response) =>
        RangeResponseValidator.ContentCodingOtherThanIdentity(response)?.ToLowerInvariant() ?? Identity;

    private void WarnIfEncoded(string seen, Uri where)
    {
        // Once per download: every range of an object stored compressed carries the header.
        if (seen != Identity && Interlocked.Exchange(ref warned, 1) == 0)
        {
            observer.OnMessage(
                TransferMessageLevel.Warning,
                $"{where} sends the file with Content-Encoding '{seen}' although only 'identity' was asked for (it is stored so); it is saved exactly as sent, still encoded, as curl and wget do. Ranges, -Resume and -ExpectedHash apply to the saved (encoded) bytes; decode the file afterwards if you need its content.");
        }
    }
}
