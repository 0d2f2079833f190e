using System;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// Lets one TLS handshake of a download at a time run, each until its first read. Why: servers that require TLS session
/// reuse (FileZilla Server, vsftpd's require_ssl_reuse) refuse a data connection that does not resume a session, and
/// .NET keeps one session per host name, which with TLS 1.3 is a single-use ticket: the next handshake to that host
/// (a data connection, or another control connection) takes it, and the server's new tickets are stored only when the
/// connection that took it first reads. Two handshakes at once leave one of them without a session. Serialized, each
/// handshake finds the ticket the previous one left. The wait is a handshake and one read, once per connection.
/// </summary>
internal sealed class FtpTlsHandshakeGate
{
    private readonly SemaphoreSlim gate = new(1, 1);

    /// <summary>Waits for the turn; dispose the result after the first read that follows the handshake.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Turn(gate);
    }

    private sealed class Turn : IDisposable
    {
        private SemaphoreSlim? gate;

        public Turn(SemaphoreSlim gate)
        {
            this.gate = gate;
        }

        public void Dispose() => Interlocked.Exchange(ref gate, null)?.Release();
    }
}
