using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ZeroCopyPS.Bench;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Benchmarks;

/// <summary>
/// The relay end to end, per CopyMode: a ProxyServer (epoll engine) on 127.0.0.1 in front of a sink (bulk)
/// and an echo server (ping-pong), all in this process. Bulk: a new connection, 16 MiB sent, the sink's
/// byte count read back. PingPong: one 64-byte message there and back on a connection kept open.
/// Allocations include the proxy's and the servers' threads (the whole process is measured).
/// </summary>
[MemoryDiagnoser]
public class RelayBenchmarks
{
    private const int BulkBytes = 16 * 1024 * 1024;
    private LoopbackServer _sink = null!, _echo = null!;
    private ProxyServer _sinkProxy = null!, _echoProxy = null!;
    private Socket _pingSocket = null!;
    private readonly byte[] _chunk = new byte[256 * 1024];
    private readonly byte[] _ping = new byte[64];
    private readonly byte[] _pong = new byte[64];

    [Params(CopyMode.Splice, CopyMode.Buffered, CopyMode.Auto)]
    public CopyMode Mode { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sink = new LoopbackServer(ServerKind.Sink, new IPEndPoint(IPAddress.Loopback, 0));
        _echo = new LoopbackServer(ServerKind.Echo, new IPEndPoint(IPAddress.Loopback, 0));
        _sinkProxy = StartProxy(_sink.EndPoint);
        _echoProxy = StartProxy(_echo.EndPoint);
        _pingSocket = Connect(_echoProxy);
    }

    private ProxyServer StartProxy(IPEndPoint target) =>
        ProxyServer.Start(new ProxyOptions([ProxyEndpoint.Parse("127.0.0.1:0")], ProxyEndpoint.Parse(target.ToString()))
        {
            Name = $"bench-{Mode}",
            CopyMode = Mode,
            DrainTimeout = TimeSpan.FromSeconds(1),
        }, NullObserver.Instance);

    private static Socket Connect(ProxyServer proxy)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Connect(proxy.ListenEndPoints[0]);
        return socket;
    }

    [Benchmark(Description = "Bulk 16 MiB (new connection)")]
    public long Bulk()
    {
        using Socket socket = Connect(_sinkProxy);
        for (int sent = 0; sent < BulkBytes;)
            sent += socket.Send(_chunk, 0, Math.Min(_chunk.Length, BulkBytes - sent), SocketFlags.None);
        socket.Shutdown(SocketShutdown.Send);
        Span<byte> count = stackalloc byte[8];
        int got = 0;
        while (got < 8)
        {
            int read = socket.Receive(count[got..], SocketFlags.None);
            if (read == 0) throw new InvalidOperationException("The sink closed before reporting its count.");
            got += read;
        }
        long received = BinaryPrimitives.ReadInt64LittleEndian(count);
        if (received != BulkBytes) throw new InvalidOperationException($"The sink received {received} of {BulkBytes} bytes.");
        return received;
    }

    [Benchmark(Description = "PingPong 64 B")]
    public int PingPong()
    {
        _pingSocket.Send(_ping, 0, _ping.Length, SocketFlags.None);
        int got = 0;
        while (got < _pong.Length)
        {
            int read = _pingSocket.Receive(_pong, got, _pong.Length - got, SocketFlags.None);
            if (read == 0) throw new InvalidOperationException("The echo closed the connection.");
            got += read;
        }
        return got;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pingSocket.Dispose();
        _sinkProxy.Stop(TimeSpan.FromSeconds(1));
        _echoProxy.Stop(TimeSpan.FromSeconds(1));
        _sink.Dispose();
        _echo.Dispose();
    }

    private sealed class NullObserver : IProxyObserver
    {
        public static readonly NullObserver Instance = new();
        public void OnConnectionClosed(ConnectionStatistics statistics) { }
        public void OnEngineFaulted(Exception error) => Console.Error.WriteLine($"proxy engine faulted: {error}");
    }
}
