using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// The loopback (or Unix-socket) server of every test suite: the engine's and the hosted module's xunit tests
/// use it directly, Pester through TestHelpers.psm1. It runs a handler per accepted socket until disposed;
/// <see cref="Echo(Transport, int)"/> and <see cref="Sink(Transport)"/> are the handlers most tests want. Bounded
/// by its owner's lifetime: every socket it accepted is closed on dispose.
/// </summary>
public sealed class TestServer : IAsyncDisposable, IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _handlers = new();
    private readonly string? _unixPath;
    private int _accepted;
    private int _completed;
    private long _bytesReceived;
    private bool _disposed;

    public TestServer(Transport transport, Func<Socket, CancellationToken, Task> handler)
        : this(Listen(transport), handler)
    {
    }

    /// <summary>On 127.0.0.1:<paramref name="port"/> (0: any free port), for a test that needs a server on a port it chose.</summary>
    public TestServer(int port, Func<Socket, CancellationToken, Task> handler)
        : this(ListenTcp(IPAddress.Loopback, port, exclusive: true), handler)
    {
    }

    /// <summary>A TCP server on a given address and port (a test that needs one port on both families, or a 127.x address of its own).</summary>
    public TestServer(IPEndPoint address, Func<Socket, CancellationToken, Task> handler)
        : this(ListenTcp(address.Address, address.Port, exclusive: false), handler)
    {
    }

    private TestServer((Socket Listener, string Endpoint, string? UnixPath) listening, Func<Socket, CancellationToken, Task> handler)
    {
        (_listener, Endpoint, _unixPath) = listening;
        _acceptLoop = AcceptLoop(handler);
    }

    /// <summary>The endpoint text a proxy is given as its target: 127.0.0.1:PORT, [::1]:PORT or unix:/path.</summary>
    public string Endpoint { get; }

    /// <summary>The TCP port; 0 for a Unix socket.</summary>
    public int Port => _listener.LocalEndPoint is IPEndPoint ip ? ip.Port : 0;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections whose handler ran to its end without an error.</summary>
    public int Completed => Volatile.Read(ref _completed);

    /// <summary>Bytes the built-in handlers (echo, sink) read, over all connections.</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>
    /// Echoes every byte back through a <paramref name="bufferBytes"/> buffer (a small one makes it stop reading
    /// while its reply is not read, as simple echo servers do), then half-closes when the client does.
    /// </summary>
    public static TestServer Echo(Transport transport = Transport.Tcp4, int bufferBytes = 64 * 1024)
    {
        TestServer? server = null;
        server = new TestServer(transport, (socket, token) => server!.EchoAsync(socket, bufferBytes, token));
        return server;
    }

    /// <summary>An echo server on 127.0.0.1:<paramref name="port"/>.</summary>
    public static TestServer Echo(int port)
    {
        TestServer? server = null;
        server = new TestServer(port, (socket, token) => server!.EchoAsync(socket, 64 * 1024, token));
        return server;
    }

    /// <summary>Reads and counts until the client's EOF, then half-closes; sends nothing.</summary>
    public static TestServer Sink(Transport transport = Transport.Tcp4)
    {
        TestServer? server = null;
        server = new TestServer(transport, (socket, token) => server!.SinkAsync(socket, token));
        return server;
    }

    /// <summary>Accepts and never reads: a client's sends stop once the socket buffers are full.</summary>
    public static TestServer Deaf(Transport transport = Transport.Tcp4) =>
        new(transport, (socket, token) => Task.Delay(Timeout.Infinite, token));

    /// <summary>Echoes the first <paramref name="bytes"/> bytes, then holds the connection open without reading any more.</summary>
    public static TestServer EchoThenHold(int bytes, Transport transport = Transport.Tcp4)
    {
        TestServer? server = null;
        server = new TestServer(transport, async (socket, token) =>
        {
            byte[] buffer = new byte[bytes];
            int echoed = 0;
            while (echoed < bytes)
            {
                int read = await socket.ReceiveAsync(buffer.AsMemory(0, bytes - echoed), SocketFlags.None, token);
                if (read == 0) return;
                Interlocked.Add(ref server!._bytesReceived, read);
                for (int sent = 0; sent < read;) sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
                echoed += read;
            }
            await Task.Delay(Timeout.Infinite, token);
        });
        return server;
    }

    /// <summary>A listening socket for <paramref name="transport"/>, the endpoint text for it, and the Unix path to remove after.</summary>
    public static (Socket, string, string?) Listen(Transport transport)
    {
        if (transport != Transport.Unix) return ListenTcp(transport == Transport.Tcp6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0, exclusive: false);
        string path = Path.Combine(Path.GetTempPath(), $"zc-{Guid.NewGuid():N}.sock");
        var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        unix.Bind(new UnixDomainSocketEndPoint(path));
        unix.Listen(1024);
        return (unix, "unix:" + path, path);
    }

    private static (Socket, string, string?) ListenTcp(IPAddress address, int port, bool exclusive)
    {
        var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ExclusiveAddressUse = exclusive };
        tcp.Bind(new IPEndPoint(address, port));
        tcp.Listen(1024);
        var bound = (IPEndPoint)tcp.LocalEndPoint!;
        return (tcp, bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]:{bound.Port}" : $"{bound.Address}:{bound.Port}", null);
    }

    private async Task EchoAsync(Socket socket, int bufferBytes, CancellationToken token)
    {
        byte[] buffer = new byte[bufferBytes];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0) break;
            Interlocked.Add(ref _bytesReceived, read);
            for (int sent = 0; sent < read;) sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, token);
        }
        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task SinkAsync(Socket socket, CancellationToken token)
    {
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0) Interlocked.Add(ref _bytesReceived, read);
        socket.Shutdown(SocketShutdown.Send);
    }

    private async Task AcceptLoop(Func<Socket, CancellationToken, Task> handler)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            Task task = Task.Run(async () =>
            {
                using (socket)
                {
                    try
                    {
                        await handler(socket, _stop.Token);
                        Interlocked.Increment(ref _completed);
                    }
                    catch (Exception) when (_stop.IsCancellationRequested) { }
                    catch (SocketException) { }
                }
            });
            lock (_handlers)
            {
                _handlers.RemoveAll(t => t.IsCompleted);
                _handlers.Add(task);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] handlers;
        lock (_handlers) handlers = _handlers.ToArray();
        await Task.WhenAny(Task.WhenAll(handlers), Task.Delay(5000)).ConfigureAwait(false);
        if (_unixPath is not null) File.Delete(_unixPath);
    }

    /// <summary>For PowerShell and using blocks: the same as DisposeAsync, waited for.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
