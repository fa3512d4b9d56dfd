using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// Makes connected stream socket pairs on loopback (127.0.0.1) or on a Unix socket in the temp folder,
/// like the article's initConns: one listener for the whole run, a blocking connect and accept per pair.
/// Every socket is a plain blocking .NET socket that never sees an async operation, so a
/// <see cref="SocketCopier"/> may take over the ones it is handed (it sets O_NONBLOCK and drives them with
/// its own syscalls). Measure-SocketCopy, the benchmarks and the copier's tests share this one maker.
/// </summary>
public sealed class LoopbackSocketPairs : IDisposable
{
    private readonly Socket _listener;
    private readonly string? _unixPath;

    public LoopbackSocketPairs(LoopbackTransport transport = LoopbackTransport.Tcp)
    {
        Transport = transport;
        if (transport == LoopbackTransport.Unix)
        {
            _unixPath = Path.Combine(Path.GetTempPath(), $"zcps-pairs-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }

        try
        {
            _listener.Bind(_unixPath is null ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(_unixPath));
            _listener.Listen(16);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public LoopbackTransport Transport { get; }

    /// <summary>A connected (client, server) pair; the caller owns both.</summary>
    public (Socket Client, Socket Server) CreatePair()
    {
        var client = _unixPath is null
            ? new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
            : new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            client.Connect(_listener.LocalEndPoint!);
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
        if (_unixPath is null) return;
        try { File.Delete(_unixPath); } // a GUID name this object bound in the temp folder: only ever its own socket
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
