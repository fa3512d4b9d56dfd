using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Bench;

/// <summary>The article's initConns on 127.0.0.1: connected (client, server) pairs from one listener.</summary>
public sealed class LoopbackPairListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public LoopbackPairListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
    }

    /// <summary>Both sockets blocking and never used asynchronously, so SocketCopier may take them over.</summary>
    public (Socket Client, Socket Server) CreatePair()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(_listener.LocalEndPoint!);
        return (client, _listener.Accept());
    }

    public void Dispose() => _listener.Dispose();
}
