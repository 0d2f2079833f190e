// A TCP relay on loopback that counts the bytes an upload client sends to its server, so a benchmark can tell how
// much of a file went over the wire twice after a kill -9 and a resume, whatever the client (pwsh, node) is.
// Loaded by bench/UploadKillScenario.ps1 with Add-Type. The counts are TCP payload: HTTP request lines and headers
// are included along with the bodies.
using System;
using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ResumeTransferBench
{
    public sealed class ByteCountingRelay : IDisposable
    {
        private const int BufferSize = 256 * 1024;
        private static readonly TimeSpan IdleReset = TimeSpan.FromMilliseconds(50);

        private readonly TcpListener _listener;
        private readonly IPEndPoint _target;
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly ConcurrentDictionary<Connection, byte> _connections = new ConcurrentDictionary<Connection, byte>();
        private readonly Task _accepting;
        private long _toServer;
        private long _toClient;
        private readonly long _bytesPerSecond;
        private readonly bool _capToClient;
        private int _disposed;

        /// <summary>
        /// Listens on 127.0.0.1, on a port the kernel picks, and relays each connection to 127.0.0.1:targetPort. With
        /// <paramref name="bytesPerSecond"/> above 0 each connection's client-to-server direction is held to that rate
        /// (like an uplink that is slower than the client), so a kill lands in the middle of a request body.
        /// </summary>
        public ByteCountingRelay(int targetPort, long bytesPerSecond = 0)
            : this(targetPort, bytesPerSecond, capToClient: false)
        {
        }

        /// <summary>
        /// As above; with <paramref name="capToClient"/> the server-to-client direction of each connection is held to
        /// the rate instead (a store that caps each download connection), the other one left free.
        /// </summary>
        public ByteCountingRelay(int targetPort, long bytesPerSecond, bool capToClient)
        {
            _bytesPerSecond = bytesPerSecond;
            _capToClient = capToClient;
            _target = new IPEndPoint(IPAddress.Loopback, targetPort);
            _listener = new TcpListener(IPAddress.Loopback, 0);
            // Small fixed socket buffers (accepted sockets inherit the listener's), so the relay itself holds little
            // of what a killed client wrote: loopback autotuning would otherwise let it buffer tens of MiB, which the
            // server would still receive after the kill.
            _listener.Server.ReceiveBufferSize = BufferSize;
            _listener.Server.SendBufferSize = BufferSize;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            _accepting = AcceptAsync();
        }

        public int Port { get; }

        /// <summary>Bytes from clients that the relay handed to the server's socket since the start or Reset().</summary>
        public long BytesToServer => Interlocked.Read(ref _toServer);

        /// <summary>Bytes from the server that the relay handed to the clients' sockets since the start or Reset().</summary>
        public long BytesToClient => Interlocked.Read(ref _toClient);

        /// <summary>Connections being relayed now: 0 once a killed client's connections have been torn down.</summary>
        public int OpenConnections => _connections.Count;

        public void Reset()
        {
            Interlocked.Exchange(ref _toServer, 0);
            Interlocked.Exchange(ref _toClient, 0);
        }

        /// <summary>Stops listening and closes every relayed connection.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            _stop.Cancel();
            _listener.Stop();
            foreach (var connection in _connections.Keys) connection.Close();
            try { _accepting.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket client;
                try { client = await _listener.AcceptSocketAsync().ConfigureAwait(false); }
                catch (ObjectDisposedException) { return; }
                catch (SocketException) when (_stop.IsCancellationRequested) { return; }
                catch (SocketException) { continue; }   // a client that went away before it was accepted
                _ = RelayAsync(client);
            }
        }

        private async Task RelayAsync(Socket client)
        {
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            {
                ReceiveBufferSize = BufferSize,
                SendBufferSize = BufferSize,
            };
            var connection = new Connection(client, server);
            _connections[connection] = 0;
            // Dispose may have run between accepting and registering: it would not have seen this connection.
            if (_stop.IsCancellationRequested) { connection.Close(); _connections.TryRemove(connection, out _); return; }
            try
            {
                client.NoDelay = true;
                connection.Server.NoDelay = true;
                await connection.Server.ConnectAsync(_target).ConfigureAwait(false);
                await Task.WhenAll(
                    PumpAsync(connection, client, connection.Server, toServer: true),
                    PumpAsync(connection, connection.Server, client, toServer: false)).ConfigureAwait(false);
            }
            catch (Exception) { }   // the server refused the connection, or the relay is stopping
            finally
            {
                connection.Close();
                _connections.TryRemove(connection, out _);
            }
        }

        private async Task PumpAsync(Connection connection, Socket from, Socket to, bool toServer)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            var capped = toServer != _capToClient && _bytesPerSecond > 0;
            // Reads of at most 1/20 s worth of bytes keep a capped stream smooth.
            var readSize = capped ? (int)Math.Max(4096, Math.Min(BufferSize, _bytesPerSecond / 20)) : BufferSize;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long relayed = 0;
            try
            {
                while (true)
                {
                    int read = await from.ReceiveAsync(buffer.AsMemory(0, readSize), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    if (read == 0) break;
                    if (capped)
                    {
                        relayed += read;
                        var due = TimeSpan.FromSeconds((double)relayed / _bytesPerSecond) - clock.Elapsed;
                        if (due > TimeSpan.Zero)
                        {
                            await Task.Delay(due, _stop.Token).ConfigureAwait(false);
                        }
                        else if (due < -IdleReset)
                        {
                            // The connection sat idle (between requests): idle time earns no burst above the rate.
                            relayed = read;
                            clock.Restart();
                        }
                    }
                    for (int sent = 0; sent < read;)
                    {
                        sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                    }
                    if (toServer) Interlocked.Add(ref _toServer, read); else Interlocked.Add(ref _toClient, read);
                }
                // An orderly end of one direction (FIN) is passed on as such; the other direction goes on.
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception)
            {
                // A reset (a killed client), a closed socket or the relay stopping: tear down both sides, so the
                // other pump's pending receive ends too instead of waiting forever.
                connection.Close();
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private sealed class Connection
        {
            private int _closed;

            public Connection(Socket client, Socket server)
            {
                Client = client;
                Server = server;
            }

            public Socket Client { get; }
            public Socket Server { get; }

            public void Close()
            {
                if (Interlocked.Exchange(ref _closed, 1) != 0) return;
                Client.Dispose();
                Server.Dispose();
            }
        }
    }
}
