using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// A loopback (or Unix-socket) server for tests: runs a handler per accepted socket until disposed.
/// Bounded by its owner's lifetime; every socket it accepted is closed on dispose.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private readonly List<Task> _handlers = new();
    private readonly string? _unixPath;
    private int _accepted;

    public TestServer(Transport transport, Func<Socket, CancellationToken, Task> handler)
    {
        (_listener, Endpoint, _unixPath) = Listen(transport);
        _acceptLoop = AcceptLoop(handler);
    }

    /// <summary>The endpoint text the proxy is given as its target.</summary>
    public string Endpoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    public static (Socket, string, string?) Listen(Transport transport)
    {
        switch (transport)
        {
            case Transport.Unix:
                string path = Path.Combine(Path.GetTempPath(), $"zc-{Guid.NewGuid():N}.sock");
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                unix.Bind(new UnixDomainSocketEndPoint(path));
                unix.Listen(1024);
                return (unix, "unix:" + path, path);
            default:
                IPAddress address = transport == Transport.Tcp6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
                var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(address, 0));
                tcp.Listen(1024);
                var bound = (IPEndPoint)tcp.LocalEndPoint!;
                return (tcp, transport == Transport.Tcp6 ? $"[::1]:{bound.Port}" : $"127.0.0.1:{bound.Port}", null);
        }
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
                    try { await handler(socket, _stop.Token); }
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

    /// <summary>Echoes every byte back, then half-closes when the client does.</summary>
    public static TestServer Echo(Transport transport) => new(transport, async (socket, token) =>
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0) break;
            await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
        }
        socket.Shutdown(SocketShutdown.Send);
    });

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] handlers;
        lock (_handlers) handlers = _handlers.ToArray();
        await Task.WhenAny(Task.WhenAll(handlers), Task.Delay(5000));
        if (_unixPath is not null) File.Delete(_unixPath);
    }
}
