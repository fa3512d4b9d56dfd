using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

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
