using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>A proxy on loopback (or a temporary Unix socket) in front of a target, plus clients for it.</summary>
public sealed class ProxyHarness : IDisposable
{
    private readonly string? _unixPath;

    private ProxyHarness(ProxyServer server, RecordingObserver observer, Transport listenTransport, string? unixPath)
    {
        Server = server;
        Observer = observer;
        ListenTransport = listenTransport;
        _unixPath = unixPath;
    }

    public ProxyServer Server { get; }

    public RecordingObserver Observer { get; }

    public Transport ListenTransport { get; }

    public static ProxyHarness Start(Transport listen, string target, Func<ProxyOptions, ProxyOptions>? configure = null,
        CopyMode mode = CopyMode.Auto, EngineKind engine = EngineKind.Auto)
    {
        string? unixPath = null;
        string listenText = listen switch
        {
            Transport.Tcp4 => "127.0.0.1:0",
            Transport.Tcp6 => "[::1]:0",
            _ => "unix:" + (unixPath = Path.Combine(Path.GetTempPath(), $"zc-proxy-{Guid.NewGuid():N}.sock")),
        };
        var options = new ProxyOptions([ProxyEndpoint.Parse(listenText)], ProxyEndpoint.Parse(target))
        {
            Name = "test",
            CopyMode = mode,
            Engine = engine,
            DrainTimeout = TimeSpan.FromSeconds(2),
        };
        if (configure is not null) options = configure(options);
        var observer = new RecordingObserver();
        return new ProxyHarness(ProxyServer.Start(options, observer), observer, listen, unixPath);
    }

    public EndPoint ListenEndPoint => Server.ListenEndPoints[0];

    public Socket Connect()
    {
        EndPoint endPoint = ListenEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream,
            endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        socket.Connect(endPoint);
        return socket;
    }

    public async Task<Socket> ConnectAsync()
    {
        EndPoint endPoint = ListenEndPoint;
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream,
            endPoint.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    public void Dispose()
    {
        Server.Stop(TimeSpan.FromSeconds(1));
        if (_unixPath is not null) File.Delete(_unixPath);
        // An engine fault during a test fails it, even when every byte happened to arrive.
        Assert.Empty(Observer.Faults);
    }
}
