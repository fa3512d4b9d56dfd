<#
Peers for the fault tests (ZeroCopyProxy.Faults.Tests.ps1): a flood of clients, a target that streams
without end, a downloader that says how its stream ended, and a Unix listener whose backlog is full.
Everything is on 127.0.0.1 or a temporary Unix path, bounded in time, and closed by Dispose.
#>

Set-StrictMode -Version 3.0

if (-not ('ZeroCopyPSTests.ClientFlood' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopyPSTests
{
    /// <summary>
    /// Count clients connecting at once (nonblocking, each connect bounded), each sending Payload bytes and
    /// waiting for them to come back. Counts how each fared; Dispose closes them all.
    /// </summary>
    public sealed class ClientFlood : IDisposable
    {
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly ConcurrentBag<Socket> _sockets = new ConcurrentBag<Socket>();
        private readonly List<Task> _connects = new List<Task>();
        private readonly ConcurrentDictionary<string, int> _errorKinds = new ConcurrentDictionary<string, int>();
        private int _connected, _echoed, _corrupted, _refused, _timedOut, _connectErrors, _eof, _reset, _otherErrors;

        public ClientFlood(int port, int count, int connectTimeoutMs, int payloadBytes)
        {
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            for (int i = 0; i < count; i++) _connects.Add(Task.Run(() => Client(endPoint, connectTimeoutMs, payloadBytes)));
        }

        public int Connected { get { return Volatile.Read(ref _connected); } }
        public int Echoed { get { return Volatile.Read(ref _echoed); } }
        /// <summary>Got as many bytes back as sent, but different ones.</summary>
        public int Corrupted { get { return Volatile.Read(ref _corrupted); } }
        public int Refused { get { return Volatile.Read(ref _refused); } }
        public int TimedOut { get { return Volatile.Read(ref _timedOut); } }
        public int ClosedByProxy { get { return Volatile.Read(ref _eof); } }
        public int ResetByProxy { get { return Volatile.Read(ref _reset); } }
        /// <summary>Connected, nothing back yet, connection still open.</summary>
        public int Waiting { get { return Connected - Echoed - Corrupted - ClosedByProxy - ResetByProxy - Volatile.Read(ref _otherErrors); } }
        public string Summary
        {
            get
            {
                return string.Format("connected {0}, echoed {1} (corrupted {9}), waiting {2}, refused {3}, connect timed out {4}, other connect errors {5}, closed by proxy {6}, reset by proxy {7}, other errors {8}",
                    Connected, Echoed, Waiting, Refused, TimedOut, Volatile.Read(ref _connectErrors), ClosedByProxy, ResetByProxy, Volatile.Read(ref _otherErrors), Corrupted)
                    + (_errorKinds.IsEmpty ? "" : " [" + string.Join(", ", _errorKinds) + "]");
            }
        }

        /// <summary>True once every connect succeeded, failed or timed out.</summary>
        public bool WaitConnectsSettled(int timeoutMs) { return Task.WaitAll(_connects.ToArray(), timeoutMs); }

        private async Task Client(IPEndPoint endPoint, int connectTimeoutMs, int payloadBytes)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _sockets.Add(socket);
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token))
                {
                    connect.CancelAfter(connectTimeoutMs);
                    await socket.ConnectAsync(endPoint, connect.Token);
                }
                Interlocked.Increment(ref _connected);
            }
            catch (OperationCanceledException) { Interlocked.Increment(ref _timedOut); socket.Dispose(); return; }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { Interlocked.Increment(ref _refused); socket.Dispose(); return; }
            catch (Exception e) { Interlocked.Increment(ref _connectErrors); Note("connect " + Kind(e)); socket.Dispose(); return; }
            var _ = Task.Run(() => Exchange(socket, payloadBytes));
        }

        private async Task Exchange(Socket socket, int payloadBytes)
        {
            var payload = new byte[payloadBytes];
            for (int i = 0; i < payloadBytes; i++) payload[i] = (byte)('a' + i % 26);
            var buffer = new byte[payloadBytes];
            try
            {
                await socket.SendAsync(new ReadOnlyMemory<byte>(payload), SocketFlags.None, _cts.Token);
                int got = 0;
                while (got < payloadBytes)
                {
                    int n = await socket.ReceiveAsync(new Memory<byte>(buffer, got, payloadBytes - got), SocketFlags.None, _cts.Token);
                    if (n == 0) { Interlocked.Increment(ref _eof); return; }
                    got += n;
                }
                Interlocked.Increment(ref ((ReadOnlySpan<byte>)buffer).SequenceEqual(payload) ? ref _echoed : ref _corrupted);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { Interlocked.Increment(ref _reset); }
            catch (Exception e) { if (!_cts.IsCancellationRequested) { Interlocked.Increment(ref _otherErrors); Note("exchange " + Kind(e)); } }
        }

        private static string Kind(Exception e) { var s = e as SocketException; return s != null ? s.SocketErrorCode.ToString() : e.GetType().Name; }
        private void Note(string kind) { _errorKinds.AddOrUpdate(kind, 1, (k, n) => n + 1); }

        public void Dispose()
        {
            _cts.Cancel();
            foreach (Socket s in _sockets) { try { s.Dispose(); } catch (Exception) { } }
        }
    }

    /// <summary>
    /// A target on 127.0.0.1 that sends zeros to every connection until sending fails. It never reads:
    /// a concurrent recv could consume the socket's pending error and turn a reset into an EOF.
    /// SendEnded says how the first connection's send ended: "Reset" (ECONNRESET), "BrokenPipe" (EPIPE), or another error.
    /// </summary>
    public sealed class EndlessSource : IDisposable
    {
        private readonly Socket _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly TaskCompletionSource<string> _sendEnded = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ConcurrentBag<Socket> _peers = new ConcurrentBag<Socket>();
        private int _accepted;
        public long BytesSent;

        public EndlessSource()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            Task.Run(() =>
            {
                while (true)
                {
                    Socket peer;
                    try { peer = _listener.Accept(); } catch (Exception) { return; }
                    _peers.Add(peer);
                    bool first = Interlocked.Increment(ref _accepted) == 1;
                    Task.Run(() => Send(peer, first));
                }
            });
        }

        public string EndPoint { get { return "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndPoint).Port; } }
        public int Accepted { get { return Volatile.Read(ref _accepted); } }
        public Task<string> SendEnded { get { return _sendEnded.Task; } }

        // Async on purpose: a blocking Send that fails on a reset reports ETIMEDOUT in .NET on Linux.
        private async Task Send(Socket peer, bool first)
        {
            var chunk = new byte[65536];
            string how;
            try { while (true) { int n = await peer.SendAsync(new ArraySegment<byte>(chunk), SocketFlags.None); if (first) Interlocked.Add(ref BytesSent, n); } }
            catch (SocketException e)
            {
                how = e.SocketErrorCode == SocketError.ConnectionReset ? "Reset"
                    : e.SocketErrorCode == SocketError.Shutdown ? "BrokenPipe" : e.SocketErrorCode + " (" + e.Message + ")";
            }
            catch (ObjectDisposedException) { how = "Disposed"; }
            if (first) _sendEnded.TrySetResult(how);
        }

        public void Dispose()
        {
            _listener.Dispose();
            foreach (Socket s in _peers) { try { s.Dispose(); } catch (Exception) { } }
        }
    }

    /// <summary>Connects (retrying refusals until the deadline) and reads until the stream ends; Outcome says how.</summary>
    public sealed class Downloader : IDisposable
    {
        private readonly Socket _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        public long BytesReceived;
        public Task<string> Outcome { get; private set; }

        public Downloader(int port, int connectDeadlineMs)
        {
            Outcome = Task.Run(() =>
            {
                DateTime deadline = DateTime.UtcNow.AddMilliseconds(connectDeadlineMs);
                Socket socket = _socket;
                while (true)
                {
                    try { socket.Connect(new IPEndPoint(IPAddress.Loopback, port)); break; }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && DateTime.UtcNow < deadline)
                    {
                        Thread.Sleep(50);
                    }
                    catch (Exception e) { return "NotConnected: " + e.Message; }
                }
                socket.ReceiveTimeout = 60000;
                var buffer = new byte[65536];
                try
                {
                    int n;
                    while ((n = socket.Receive(buffer)) > 0) Interlocked.Add(ref BytesReceived, n);
                    return "EOF";
                }
                catch (SocketException e) { return e.SocketErrorCode.ToString(); }
                catch (ObjectDisposedException) { return "Disposed"; }
            });
        }

        public void Dispose() { _socket.Dispose(); }
    }

    /// <summary>A Unix listener with backlog 1 that never accepts, its queue filled by nonblocking connects until EAGAIN.</summary>
    public sealed class FullBacklogUnixListener : IDisposable
    {
        private readonly Socket _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        private readonly List<Socket> _clients = new List<Socket>();

        public FullBacklogUnixListener(string path)
        {
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(1);
            for (int i = 0; i < 64 && !Full; i++)
            {
                var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                try { client.Connect(new UnixDomainSocketEndPoint(path)); _clients.Add(client); }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock || e.SocketErrorCode == SocketError.TryAgain) { Full = true; client.Dispose(); }
            }
        }

        /// <summary>True once a connect was refused with EAGAIN: the accept queue is full.</summary>
        public bool Full { get; private set; }
        public int Queued { get { return _clients.Count; } }

        /// <summary>Accepts (and closes) everything queued, which releases any connect blocked on the full queue.</summary>
        public int Drain()
        {
            _listener.Blocking = false;
            int n = 0;
            for (int i = 0; i < 256; i++)
            {
                try { _listener.Accept().Dispose(); n++; }
                catch (SocketException) { break; }
            }
            return n;
        }

        public void Dispose()
        {
            foreach (Socket c in _clients) c.Dispose();
            _listener.Dispose();
        }
    }
}
'@
}

function New-TestStaleUnixSocket {
    <# A socket file at -Path that nothing listens on: bound elsewhere, renamed into place, then closed (.NET unlinks only the path it bound). #>
    param([Parameter(Mandatory)] [string] $Path)
    $scratch = "$Path.bind"
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    try {
        $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($scratch))
        $socket.Listen(1)
        [IO.File]::Move($scratch, $Path)
    }
    finally { $socket.Dispose() }
}

function New-TestUnixListener {
    <# A listening .NET Unix socket at -Path (another program's listener); Dispose it when done. #>
    param([Parameter(Mandatory)] [string] $Path)
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($Path))
    $socket.Listen(4)
    $socket
}

function Test-TestUnixConnect {
    <# True when a connect to the Unix socket at -Path succeeds within the timeout. #>
    param([Parameter(Mandatory)] [string] $Path, [int] $TimeoutMilliseconds = 2000)
    $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
    try { $socket.ConnectAsync([Net.Sockets.UnixDomainSocketEndPoint]::new($Path)).Wait($TimeoutMilliseconds) }
    catch { $false }
    finally { $socket.Dispose() }
}

function New-TestTempDirectory {
    <# A short, fresh directory under /tmp (Unix socket paths must stay under 108 bytes). #>
    $path = Join-Path ([IO.Path]::GetTempPath()) "zcf-$([guid]::NewGuid().ToString('N').Substring(0, 10))"
    (New-Item -ItemType Directory -Path $path).FullName
}

Export-ModuleMember -Function *-Test*
