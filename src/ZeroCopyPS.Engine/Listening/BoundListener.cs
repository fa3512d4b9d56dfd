using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// One listening socket as <see cref="ListenSocketFactory"/> made it, for either engine: the socket,
/// the endpoint it was configured as, the text statistics show for it, and the socket file it owns.
/// </summary>
internal sealed class BoundListener
{
    private int _closed;

    public BoundListener(Socket socket, ProxyEndpoint configured, UnixSocketFile? socketFile)
    {
        Socket = socket;
        Configured = configured;
        SocketFile = socketFile;
        EndPoint = socket.LocalEndPoint!;
        string bound = ProxyEndpoint.Format(EndPoint);
        // An unnamed or abstract Unix endpoint formats poorly; the configured text says what it is.
        ListenText = configured.IsUnix ? configured.Text : bound;
    }

    public Socket Socket { get; }

    public ProxyEndpoint Configured { get; }

    /// <summary>The socket file this proxy removes at stop; an adopted socket's file becomes ours only once the hand-over is confirmed.</summary>
    public UnixSocketFile? SocketFile { get; private set; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>A socket taken over from another instance now serves here: its file is this proxy's to remove.</summary>
    public void TakeOwnership(UnixSocketFile? file) => SocketFile ??= file;

    /// <summary>The bound address (port 0 resolved); still readable after close.</summary>
    public EndPoint EndPoint { get; }

    public string ListenText { get; }

    public bool IsUnix => Configured.IsUnix;

    /// <summary>Closes the socket and removes its file if it is still ours. Idempotent, any thread.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        Socket.Dispose();
        SocketFile?.RemoveIfStillOurs();
    }
}
