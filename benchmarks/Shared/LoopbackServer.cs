using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Bench;

/// <summary>What a <see cref="LoopbackServer"/> does with each connection.</summary>
public enum ServerKind
{
    /// <summary>Writes back every byte it reads; after the client's EOF it shuts down its side and closes.</summary>
    Echo,

    /// <summary>Reads and counts until the client's EOF, then replies with the count (8 bytes, little-endian) and closes.</summary>
    Sink,
}

/// <summary>
/// A load-test target on loopback: one accept thread, and one blocking worker thread per open connection,
/// taken from a pool of parked workers (a new one is started only when none is idle). Blocking threads give
/// the lowest round-trip latency (no hand-off between an epoll thread and a worker); reusing them keeps
/// thread creation (≈150 µs of system time each, measured here) out of the connection-rate test. Dispose
/// closes the listener and every open connection; the workers end with it.
/// </summary>
public sealed class LoopbackServer : IDisposable
{
    private const int ThreadStackBytes = 256 * 1024;
    private readonly Socket _listener;
    private readonly Thread _acceptThread;
    private readonly ConcurrentDictionary<Socket, byte> _open = new();
    private readonly BlockingCollection<Socket> _handOff = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _idleWorkers;
    private volatile bool _disposed;
    private long _accepted;
    private long _bytesReceived;

    public LoopbackServer(ServerKind kind, IPEndPoint bind)
    {
        Kind = kind;
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(bind);
        _listener.Listen(4096);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = $"{kind} accept" };
        _acceptThread.Start();
    }

    public ServerKind Kind { get; }

    public IPEndPoint EndPoint { get; }

    public long Accepted => Interlocked.Read(ref _accepted);

    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    public int OpenConnections => _open.Count;

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket socket;
            try
            {
                socket = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_disposed) return;
                Thread.Sleep(1);   // EMFILE and friends: back off instead of spinning
                continue;
            }
            Interlocked.Increment(ref _accepted);
            socket.NoDelay = true;
            _open[socket] = 0;
            // Claim an idle worker if there is one; otherwise start another (it takes this socket or the next).
            if (Interlocked.Decrement(ref _idleWorkers) < 0)
            {
                Interlocked.Increment(ref _idleWorkers);
                new Thread(Worker, ThreadStackBytes) { IsBackground = true, Name = $"{Kind} worker" }.Start();
            }
            _handOff.Add(socket);
        }
    }

    private void Worker()
    {
        try
        {
            while (true)
            {
                Socket socket = _handOff.Take(_stopping.Token);
                Serve(socket);
                Interlocked.Increment(ref _idleWorkers);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Serve(Socket socket)
    {
        // Pooled: a per-connection allocation here would show up in the benchmarks' allocation column.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Kind == ServerKind.Sink ? 256 * 1024 : 64 * 1024);
        long count = 0;
        try
        {
            while (true)
            {
                int read = socket.Receive(buffer, 0, buffer.Length, SocketFlags.None);
                if (read == 0) break;
                count += read;
                if (Kind == ServerKind.Echo)
                {
                    int sent = 0;
                    while (sent < read) sent += socket.Send(buffer, sent, read - sent, SocketFlags.None);
                }
            }
            Interlocked.Add(ref _bytesReceived, count);
            if (Kind == ServerKind.Sink)
            {
                BinaryPrimitives.WriteInt64LittleEndian(buffer, count);
                socket.Send(buffer, 0, 8, SocketFlags.None);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // A client that resets, or Dispose closing the socket: nothing to report to anyone.
        }
        finally
        {
            _open.TryRemove(socket, out _);
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _stopping.Cancel();
        _listener.Dispose();
        foreach (Socket socket in _open.Keys) socket.Dispose();
        _acceptThread.Join(TimeSpan.FromSeconds(2));
    }
}
