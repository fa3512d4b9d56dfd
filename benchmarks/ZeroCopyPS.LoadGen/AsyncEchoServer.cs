using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>
/// An echo target for many idle connections ("server --kind echo-async"): .NET async sockets on the
/// thread pool, TCP or a Unix socket. Each connection waits for data with a zero-byte receive and rents a
/// buffer only while bytes flow, so 100,000 idle connections cost no thread and no buffer each (the
/// thread-per-connection echo would run into pid_max long before). Echoes until the client's EOF, then
/// shuts down its side and closes.
/// </summary>
internal sealed class AsyncEchoServer : IDisposable
{
    private const int BufferBytes = 16 * 1024;
    private readonly Socket _listener;
    private readonly string? _unixPath;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly Task[] _acceptLoops;
    private volatile bool _disposed;
    private long _accepted;
    private long _failed;

    public AsyncEchoServer(EndPoint bind, int backlog)
    {
        bool unix = bind is UnixDomainSocketEndPoint;
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        if (unix)
        {
            _unixPath = bind.ToString();
            if (File.Exists(_unixPath)) throw new ArgumentException($"'{_unixPath}' exists already; give the echo server a fresh path.");
        }
        else
        {
            _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        }
        _listener.Bind(bind);
        _listener.Listen(backlog);
        EndPoint = _listener.LocalEndPoint!;
        // Two accept loops: connections arrive by the thousand per second in the scale runs.
        _acceptLoops = [Task.Run(AcceptLoopAsync), Task.Run(AcceptLoopAsync)];
    }

    public EndPoint EndPoint { get; }

    /// <summary>How a client writes this server's address: IP:PORT or unix:/path.</summary>
    public string EndPointText => EndPoint is UnixDomainSocketEndPoint ? "unix:" + _unixPath : EndPoint.ToString()!;

    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>Connections that ended with an error (a reset, for example) rather than the client's EOF.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public int Open => _open.Count;

    private Task AcceptLoopAsync() => AsyncAcceptLoop.RunAsync(_listener, () => _disposed, Serve);

    private void Serve(Socket socket)
    {
        Interlocked.Increment(ref _accepted);
        _open[socket] = 0;
        _ = ServeAsync(socket);
    }

    private async Task ServeAsync(Socket socket)
    {
        try
        {
            while (true)
            {
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
                try
                {
                    int read = await socket.ReceiveAsync(buffer.AsMemory(0, BufferBytes), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0) break;
                    for (int sent = 0; sent < read;)
                        sent += await socket.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            if (!_disposed) Interlocked.Increment(ref _failed);
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _listener.Dispose();
        foreach (Socket socket in _open.Keys) socket.Dispose();
        Task.WaitAll(_acceptLoops, TimeSpan.FromSeconds(2));
        if (_unixPath is not null) File.Delete(_unixPath);
    }
}
