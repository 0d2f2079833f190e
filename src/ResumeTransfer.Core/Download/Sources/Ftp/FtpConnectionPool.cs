using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransfer.Core.Download.Sources.Ftp;

/// <summary>
/// The logged-in control connections of one download, at most one per parallel range. A connection is rented for a
/// probe or for one range (its data transfer included) and handed back afterwards, so the next range logs in no more.
/// When a server refuses an extra login (421 or 530 while another login of the same user is alive: per-user or per-
/// address limits), the pool keeps the connections it has and lowers its own limit, with one warning, instead of
/// failing the download: the ranges beyond the limit wait for a connection to come back.
/// </summary>
internal sealed class FtpConnectionPool : IDisposable
{
    private readonly Func<CancellationToken, Task<FtpControlConnection>> login;
    private readonly Action<int, TransferException> onLimitLowered;
    private readonly SemaphoreSlim slots;
    private readonly Stack<FtpControlConnection> idle = new();
    private readonly object gate = new();
    private int limit;
    private int live;
    private bool disposed;

    /// <param name="capacity">The most connections at once (-Connections).</param>
    /// <param name="login">Opens and logs in one new connection.</param>
    /// <param name="onLimitLowered">Told the new limit and the refusal when an extra login was refused.</param>
    public FtpConnectionPool(int capacity, Func<CancellationToken, Task<FtpControlConnection>> login, Action<int, TransferException> onLimitLowered)
    {
        limit = Math.Max(1, capacity);
        slots = new SemaphoreSlim(limit, limit);
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

    /// <summary>An idle connection, else a new login once a slot is free.</summary>
    public async Task<FtpControlConnection> RentAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            lock (gate)
            {
                if (disposed)
                {
                    slots.Release();
                    throw new ObjectDisposedException(nameof(FtpConnectionPool));
                }

                if (idle.Count > 0)
                {
                    return idle.Pop();
                }

                live++;
            }

            try
            {
                return await login(cancellationToken).ConfigureAwait(false);
            }
            catch (TransferException ex) when (ex.StatusCode is 421 or 530 && LowerLimit(ex))
            {
                // The slot stays taken for good: the server allows no more logins than are alive now.
            }
            catch
            {
                lock (gate)
                {
                    live--;
                }

                slots.Release();
                throw;
            }
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
            connection.Dispose();
        }

        slots.Release();
    }

    /// <summary>Closes a connection whose state is unknown (a failure, a timeout) and frees its slot.</summary>
    public void Discard(FtpControlConnection connection)
    {
        connection.Dispose();
        lock (gate)
        {
            live--;
        }

        slots.Release();
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

    /// <summary>True (and the limit lowered) when other logins are alive, so the refusal is about their number.</summary>
    private bool LowerLimit(TransferException refusal)
    {
        int lowered;
        lock (gate)
        {
            if (live <= 1)
            {
                return false; // the first login: a real refusal, handled by the caller
            }

            live--;
            limit--;
            lowered = limit;
        }

        onLimitLowered(lowered, refusal);
        return true;
    }
}
