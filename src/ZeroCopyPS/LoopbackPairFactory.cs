using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS;

/// <summary>
/// Makes connected stream socket pairs on loopback (127.0.0.1) or on a Unix socket in the temp folder,
/// like the article's initConns: one listener for the whole run, a blocking connect and accept per pair.
/// Every socket is a plain blocking .NET socket that never sees an async operation, so the copier may
/// take over the ones it is handed (it sets O_NONBLOCK and drives them with its own syscalls).
/// </summary>
internal sealed class LoopbackPairFactory : IDisposable
{
    private readonly Socket _listener;
    private readonly string? _unixPath;

    public LoopbackPairFactory(string transport)
    {
        Transport = transport;
        if (transport == MeasureSocketCopyCommand.UnixTransport)
        {
            _unixPath = Path.Combine(Path.GetTempPath(), $"zcps-measure-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                _listener.Bind(new UnixDomainSocketEndPoint(_unixPath));
                _listener.Listen(16);
            }
            catch
            {
                Dispose();
                throw;
            }
        }
        else
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _listener.Listen(16);
            }
            catch
            {
                _listener.Dispose();
                throw;
            }
        }
    }

    public string Transport { get; }

    /// <summary>A connected (client, server) pair; the caller owns both.</summary>
    public (Socket Client, Socket Server) CreatePair()
    {
        EndPoint endPoint = _listener.LocalEndPoint!;
        var client = _unixPath is null
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            client.Connect(endPoint);
            return (client, _listener.Accept());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        if (_unixPath is not null)
        {
            try { File.Delete(_unixPath); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
