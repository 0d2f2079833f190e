using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// The logged-in control connections of one download, at most one per parallel range. A connection is rented for a
/// probe or for one range (its data transfer included) and handed back afterwards, so the next range logs in no more.
/// When a server refuses an extra login (421 or 530 while other logins of the same download are alive: per-user or
/// per-address limits), the pool keeps the connections it has and lowers its limit to their number, with one warning,
/// instead of failing the download: the ranges beyond the limit wait for a connection to come back.
/// </summary>
internal sealed class FtpConnectionPool : IDisposable
{
    private readonly Func<CancellationToken, Task<FtpControlConnection>> login;
    private readonly Action<int, TransferException> onLimitLowered;
    private readonly Stack<FtpControlConnection> idle = new();
    private readonly object gate = new();

    // Released once per connection handed back (or slot freed): a waiter wakes and looks again. Extra releases only
    // cause a look that finds nothing and waits again.
    private readonly SemaphoreSlim changed = new(0);
    private int limit;
    private int live; // logged in or logging in
    private int loggingIn;
    private TransferException? unreported; // a refusal to report once the logins under way have ended
    private bool disposed;

    /// <param name="capacity">The most connections at once (-Connections).</param>
    /// <param name="login">Opens and logs in one new connection.</param>
    /// <param name="onLimitLowered">Told the new limit and the refusal when an extra login was refused.</param>
    public FtpConnectionPool(int capacity, Func<CancellationToken, Task<FtpControlConnection>> login, Action<int, TransferException> onLimitLowered)
    {
        limit = Math.Max(1, capacity);
        this.login = login;
        this.onLimitLowered = onLimitLowered;
    }

    /// <summary>The most connections the pool will hold now (lowered when the server refused extra logins).</summary>
    public int Limit
    {
        get
        {
            lock (gate)
            {
                return limit;
            }
        }
    }

    /// <summary>An idle connection, else a new login while under the limit, else the next connection handed back.</summary>
    public async Task<FtpControlConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var mayLogin = false;
            lock (gate)
            {
                if (disposed)
                {
                    throw new ObjectDisposedException(nameof(FtpConnectionPool));
                }

                if (idle.Count > 0)
                {
                    return idle.Pop();
                }

                if (live < limit)
                {
                    live++;
                    loggingIn++;
                    mayLogin = true;
                }
            }

            if (!mayLogin)
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            FtpControlConnection connection;
            try
            {
                connection = await login(cancellationToken).ConfigureAwait(false);
            }
            catch (TransferException ex) when (ex.StatusCode is 421 or 530 && LowerLimit(ex))
            {
                continue; // wait for one of the connections that are alive
            }
            catch
            {
                LoginEnded(failed: true);
                throw;
            }

            LoginEnded(failed: false);
            return connection;
        }
    }

    /// <summary>Hands back a connection that is ready for the next command.</summary>
    public void Return(FtpControlConnection connection)
    {
        var close = false;
        lock (gate)
        {
            if (disposed)
            {
                close = true;
                live--;
            }
            else
            {
                idle.Push(connection);
            }
        }

        if (close)
        {
            connection.Quit();
        }

        changed.Release();
    }

    /// <summary>Closes a connection whose state is unknown (a failure, a timeout) and frees its slot.</summary>
    public void Discard(FtpControlConnection connection)
    {
        connection.Dispose();
        Free();
    }

    public void Dispose()
    {
        FtpControlConnection[] closing;
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            closing = idle.ToArray();
            idle.Clear();
            live -= closing.Length;
        }

        foreach (var connection in closing)
        {
            connection.Quit();
        }
    }

    private void Free()
    {
        lock (gate)
        {
            live--;
        }

        changed.Release();
    }

    private void LoginEnded(bool failed)
    {
        TransferException? report;
        int reportedLimit;
        lock (gate)
        {
            loggingIn--;
            if (failed)
            {
                live--;
            }

            report = TakeReport(out reportedLimit);
        }

        changed.Release();
        Report(report, reportedLimit);
    }

    /// <summary>
    /// True (and the limit lowered to the logins alive or under way) when there are others, so the refusal is about
    /// their number. The warning waits until the logins under way have ended, so it names the number that stays.
    /// </summary>
    private bool LowerLimit(TransferException refusal)
    {
        TransferException? report;
        int reportedLimit;
        lock (gate)
        {
            if (live <= 1)
            {
                return false; // the only login: a real refusal, for the caller
            }

            live--;
            loggingIn--;
            limit = live;
            unreported ??= refusal;
            report = TakeReport(out reportedLimit);
        }

        Report(report, reportedLimit);
        return true;
    }

    private TransferException? TakeReport(out int reportedLimit)
    {
        reportedLimit = limit;
        if (unreported is null || loggingIn > 0)
        {
            return null;
        }

        var report = unreported;
        unreported = null;
        return report;
    }

    private void Report(TransferException? refusal, int reportedLimit)
    {
        if (refusal is not null)
        {
            onLimitLowered(reportedLimit, refusal);
        }
    }
}
