<#
Loopback test peers for the ZeroCopyPS Pester suite: an echo server, a sink, a client that
sends N bytes and counts what comes back, and a bounded wait. Everything binds 127.0.0.1 only,
every blocking call has a timeout, and every server stops (sockets closed) when disposed.
#>

Set-StrictMode -Version 3.0

if (-not ('ZeroCopyPSTests.EchoServer' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace ZeroCopyPSTests
{
    /// <summary>Accepts on 127.0.0.1 and hands each connection to a handler; Dispose closes everything.</summary>
    public abstract class LoopbackServer : IDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly ConcurrentDictionary<Socket, bool> _open = new ConcurrentDictionary<Socket, bool>();
        private long _accepted;
        private long _completed;

        protected LoopbackServer(int port)
        {
            _listener = new TcpListener(IPAddress.Loopback, port);
            _listener.Server.ExclusiveAddressUse = true;
            _listener.Start();
            Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
            Task.Run(AcceptLoop);
        }

        public int Port { get; private set; }
        public string EndPoint { get { return "127.0.0.1:" + Port; } }
        public long Accepted { get { return Interlocked.Read(ref _accepted); } }
        public long Completed { get { return Interlocked.Read(ref _completed); } }

        protected CancellationToken Token { get { return _cts.Token; } }

        protected abstract Task Serve(Socket socket);

        private async Task AcceptLoop()
        {
            while (!_cts.IsCancellationRequested)
            {
                Socket socket;
                try { socket = await _listener.AcceptSocketAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _accepted);
                _open[socket] = true;
                var _ = Task.Run(async () =>
                {
                    try { await Serve(socket); Interlocked.Increment(ref _completed); }
                    catch (Exception) { }
                    finally { bool ignored; _open.TryRemove(socket, out ignored); socket.Dispose(); }
                });
            }
        }

        public void Dispose()
        {
            _cts.Cancel();
            try { _listener.Stop(); } catch (Exception) { }
            foreach (Socket s in _open.Keys) { try { s.Dispose(); } catch (Exception) { } }
        }
    }

    /// <summary>Writes back every byte it reads; after the client's EOF it shuts down its side.</summary>
    public sealed class EchoServer : LoopbackServer
    {
        public EchoServer(int port) : base(port) { }

        protected override async Task Serve(Socket socket)
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                int n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
                if (n == 0) break;
                int sent = 0;
                while (sent < n) sent += await socket.SendAsync(new ArraySegment<byte>(buffer, sent, n - sent), SocketFlags.None);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Reads and counts until the client's EOF, then closes; sends nothing.</summary>
    public sealed class SinkServer : LoopbackServer
    {
        private long _bytes;

        public SinkServer(int port) : base(port) { }

        public long BytesReceived { get { return Interlocked.Read(ref _bytes); } }

        protected override async Task Serve(Socket socket)
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                int n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer), SocketFlags.None);
                if (n == 0) break;
                Interlocked.Add(ref _bytes, n);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
    }

    public sealed class ExchangeResult
    {
        public long BytesSent { get; set; }
        public long BytesReceived { get; set; }
        /// <summary>True when what came back equals what was sent, byte for byte.</summary>
        public bool EchoMatches { get; set; }
        /// <summary>Null, or why the exchange ended early (reset, refused, timeout).</summary>
        public string Error { get; set; }
        public string LocalEndPoint { get; set; }
    }

    public static class TestClient
    {
        /// <summary>
        /// Connects, sends <paramref name="bytes"/> bytes of a known pattern while reading concurrently,
        /// shuts down its sending side, and reads until EOF. Never blocks longer than the timeout.
        /// </summary>
        public static ExchangeResult Exchange(string host, int port, int bytes, int timeoutMs)
        {
            return Exchange(new IPEndPoint(IPAddress.Parse(host), port), bytes, timeoutMs);
        }

        /// <summary>The same over a Unix socket; an abstract name starts with '@'.</summary>
        public static ExchangeResult ExchangeUnix(string path, int bytes, int timeoutMs)
        {
            return Exchange(new UnixDomainSocketEndPoint(path.StartsWith("@") ? "\0" + path.Substring(1) : path), bytes, timeoutMs);
        }

        private static ExchangeResult Exchange(EndPoint endPoint, int bytes, int timeoutMs)
        {
            var result = new ExchangeResult();
            var payload = new byte[bytes];
            for (int i = 0; i < bytes; i++) payload[i] = (byte)(i * 31 + 7);
            var received = new System.IO.MemoryStream();
            bool unix = endPoint is UnixDomainSocketEndPoint;
            using (var cts = new CancellationTokenSource(timeoutMs))
            using (var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp))
            {
                try
                {
                    socket.ConnectAsync(endPoint, cts.Token).AsTask().Wait(cts.Token);
                    result.LocalEndPoint = socket.LocalEndPoint == null ? null : socket.LocalEndPoint.ToString();
                    Task send = Task.Run(async () =>
                    {
                        int offset = 0;
                        while (offset < bytes)
                        {
                            int chunk = Math.Min(16 * 1024, bytes - offset);
                            offset += await socket.SendAsync(new ReadOnlyMemory<byte>(payload, offset, chunk), SocketFlags.None, cts.Token);
                            result.BytesSent = offset;
                        }
                        socket.Shutdown(SocketShutdown.Send);
                    });
                    Task receive = Task.Run(async () =>
                    {
                        var buffer = new byte[64 * 1024];
                        while (true)
                        {
                            int n = await socket.ReceiveAsync(new Memory<byte>(buffer), SocketFlags.None, cts.Token);
                            if (n == 0) break;
                            received.Write(buffer, 0, n);
                        }
                    });
                    Task.WhenAll(send, receive).Wait(cts.Token);
                }
                catch (Exception e)
                {
                    Exception inner = e is AggregateException && e.InnerException != null ? e.GetBaseException() : e;
                    result.Error = inner is OperationCanceledException ? "timed out after " + timeoutMs + " ms" : inner.GetType().Name + ": " + inner.Message;
                }
            }

            byte[] back = received.ToArray();
            result.BytesReceived = back.Length;
            result.EchoMatches = back.Length == bytes && ((ReadOnlySpan<byte>)back).SequenceEqual(payload);
            return result;
        }

        /// <summary>A loopback port nothing listens on right now (bound, read, released).</summary>
        public static int GetClosedPort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        /// <summary>A connected socket that sends nothing (for idle-timeout tests); the caller disposes it.</summary>
        public static Socket OpenIdle(string host, int port, int timeoutMs)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using (var cts = new CancellationTokenSource(timeoutMs))
                    socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cts.Token).AsTask().Wait(cts.Token);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>True when a connection to the port is accepted within the timeout.</summary>
        public static bool CanConnect(string host, int port, int timeoutMs)
        {
            using (var cts = new CancellationTokenSource(timeoutMs))
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                try { socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cts.Token).AsTask().Wait(cts.Token); return true; }
                // A reset means a listener took the connection and closed it at once (a proxy whose
                // target refuses resets its client): something listens. Refused or silent: nothing does.
                catch (AggregateException e) when (e.InnerException is SocketException s && s.SocketErrorCode == SocketError.ConnectionReset) { return true; }
                catch (Exception) { return false; }
            }
        }
    }
}
'@
}

function New-TestEchoServer {
    <# An echo server on 127.0.0.1 (port 0: any free port). Dispose it in AfterAll/AfterEach. #>
    param([int] $Port = 0)
    [ZeroCopyPSTests.EchoServer]::new($Port)
}

function New-TestSinkServer {
    <# A server that counts what it receives and sends nothing back. #>
    param([int] $Port = 0)
    [ZeroCopyPSTests.SinkServer]::new($Port)
}

function Invoke-TestExchange {
    <# Sends -Bytes bytes to 127.0.0.1:-Port, shuts down, reads until EOF; bounded by -TimeoutSeconds. #>
    param(
        [Parameter(Mandatory)] [int] $Port,
        [int] $Bytes = 1024,
        [int] $TimeoutSeconds = 15
    )
    [ZeroCopyPSTests.TestClient]::Exchange('127.0.0.1', $Port, $Bytes, $TimeoutSeconds * 1000)
}

function Invoke-TestUnixExchange {
    <# Like Invoke-TestExchange, over a Unix socket path (or '@name' for an abstract socket). #>
    param(
        [Parameter(Mandatory)] [string] $Path,
        [int] $Bytes = 1024,
        [int] $TimeoutSeconds = 15
    )
    [ZeroCopyPSTests.TestClient]::ExchangeUnix($Path, $Bytes, $TimeoutSeconds * 1000)
}

function Get-TestClosedPort {
    <# A loopback port with no listener right now. #>
    [ZeroCopyPSTests.TestClient]::GetClosedPort()
}

function Test-TestConnect {
    param([Parameter(Mandatory)] [int] $Port, [int] $TimeoutMilliseconds = 2000)
    [ZeroCopyPSTests.TestClient]::CanConnect('127.0.0.1', $Port, $TimeoutMilliseconds)
}

function Open-TestIdleConnection {
    <# A connected loopback socket that sends nothing; Dispose it when done. #>
    param([Parameter(Mandatory)] [int] $Port, [int] $TimeoutMilliseconds = 5000)
    [ZeroCopyPSTests.TestClient]::OpenIdle('127.0.0.1', $Port, $TimeoutMilliseconds)
}

function Get-TestPermissionDeniedEndpoint {
    <#
    An endpoint whose bind fails with EACCES/EPERM on this machine, or $null when none can be
    produced. sysfs refuses new socket files even to root (EPERM) and is not writable by other
    users (EACCES), so one probe covers both; the probe binds a plain .NET socket, so the proxy
    under test is not involved in choosing the endpoint.
    #>
    $candidates = @("/sys/zcps-denied-$([guid]::NewGuid().ToString('N').Substring(0, 8)).sock")
    foreach ($path in $candidates) {
        $socket = [Net.Sockets.Socket]::new([Net.Sockets.AddressFamily]::Unix, [Net.Sockets.SocketType]::Stream, [Net.Sockets.ProtocolType]::Unspecified)
        try {
            $socket.Bind([Net.Sockets.UnixDomainSocketEndPoint]::new($path))
            # It bound after all: not a denied location here; remove what we created.
            $socket.Dispose()
            Remove-Item -LiteralPath $path -Force -ErrorAction SilentlyContinue
        }
        catch {
            $inner = $_.Exception
            while ($inner -and $inner -isnot [Net.Sockets.SocketException]) { $inner = $inner.InnerException }
            if ($inner -and $inner.SocketErrorCode -eq [Net.Sockets.SocketError]::AccessDenied) { return "unix:$path" }
        }
        finally {
            $socket.Dispose()
        }
    }
    $null
}

function Get-TestListenPort {
    <# The TCP port of the first listen endpoint of a proxy job ('127.0.0.1:41234' -> 41234). #>
    param([Parameter(Mandatory)] $Job)
    [int](($Job.ListenEndPoints[0] -split ':')[-1])
}

function Wait-TestCondition {
    <# Polls -Condition every 50 ms until it is true; throws after -TimeoutSeconds. #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [double] $TimeoutSeconds = 10,
        [string] $Because = 'the condition'
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds 50
    }
}

function Remove-TestProxyJob {
    <# Stops and removes every ZeroCopyPS proxy job of the session (test clean-up). #>
    Get-Job | Where-Object { $_.PSJobTypeName -eq 'ZeroCopyProxyJob' } | Remove-Job -Force
}

function Get-TestModuleManifest {
    <# The manifest of the module under test: $env:ZEROCOPYPS_MODULE_PATH, else out/ZeroCopyPS. #>
    $root = if ($env:ZEROCOPYPS_MODULE_PATH) { $env:ZEROCOPYPS_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/ZeroCopyPS' }
    $manifest = Join-Path $root 'ZeroCopyPS.psd1'
    if (-not (Test-Path -LiteralPath $manifest)) {
        # A versioned layout (out/ZeroCopyPS/<version>/ZeroCopyPS.psd1) works too.
        $manifest = Get-ChildItem -LiteralPath $root -Filter ZeroCopyPS.psd1 -Recurse -Depth 1 -ErrorAction SilentlyContinue |
            Select-Object -First 1 -ExpandProperty FullName
    }
    if (-not $manifest) { throw "ZeroCopyPS.psd1 not found under '$root'. Build first (./build.ps1 -Task Build) or set ZEROCOPYPS_MODULE_PATH." }
    (Resolve-Path -LiteralPath $manifest).ProviderPath
}

Export-ModuleMember -Function *-Test*
