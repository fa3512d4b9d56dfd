using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>
/// Count clients connecting at once (nonblocking, each connect bounded), each sending Payload bytes and
/// waiting for them to come back. Counts how each fared; Dispose closes them all.
/// </summary>
public sealed class ClientFlood : IDisposable
{
    private readonly CancellationTokenSource _cts = new CancellationTokenSource();
    private readonly ConcurrentBag<Socket> _sockets = new ConcurrentBag<Socket>();
    private readonly List<Task> _connects = new List<Task>();
    private readonly ConcurrentDictionary<string, int> _errorKinds = new ConcurrentDictionary<string, int>();
    private int _connected, _echoed, _corrupted, _refused, _timedOut, _connectErrors, _eof, _reset, _otherErrors;

    public ClientFlood(int port, int count, int connectTimeoutMs, int payloadBytes)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        for (int i = 0; i < count; i++) _connects.Add(Task.Run(() => Client(endPoint, connectTimeoutMs, payloadBytes)));
    }

    public int Connected { get { return Volatile.Read(ref _connected); } }
    public int Echoed { get { return Volatile.Read(ref _echoed); } }
    /// <summary>Got as many bytes back as sent, but different ones.</summary>
    public int Corrupted { get { return Volatile.Read(ref _corrupted); } }
    public int Refused { get { return Volatile.Read(ref _refused); } }
    public int TimedOut { get { return Volatile.Read(ref _timedOut); } }
    public int ClosedByProxy { get { return Volatile.Read(ref _eof); } }
    public int ResetByProxy { get { return Volatile.Read(ref _reset); } }
    /// <summary>Connected, nothing back yet, connection still open.</summary>
    public int Waiting { get { return Connected - Echoed - Corrupted - ClosedByProxy - ResetByProxy - Volatile.Read(ref _otherErrors); } }
    public string Summary
    {
        get
        {
            return string.Format("connected {0}, echoed {1} (corrupted {9}), waiting {2}, refused {3}, connect timed out {4}, other connect errors {5}, closed by proxy {6}, reset by proxy {7}, other errors {8}",
                Connected, Echoed, Waiting, Refused, TimedOut, Volatile.Read(ref _connectErrors), ClosedByProxy, ResetByProxy, Volatile.Read(ref _otherErrors), Corrupted)
                + (_errorKinds.IsEmpty ? "" : " [" + string.Join(", ", _errorKinds) + "]");
        }
    }

    /// <summary>True once every connect succeeded, failed or timed out.</summary>
    public bool WaitConnectsSettled(int timeoutMs) { return Task.WaitAll(_connects.ToArray(), timeoutMs); }

    private async Task Client(IPEndPoint endPoint, int connectTimeoutMs, int payloadBytes)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets.Add(socket);
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token))
            {
                connect.CancelAfter(connectTimeoutMs);
                await socket.ConnectAsync(endPoint, connect.Token);
            }
            Interlocked.Increment(ref _connected);
        }
        catch (OperationCanceledException) { Interlocked.Increment(ref _timedOut); socket.Dispose(); return; }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused) { Interlocked.Increment(ref _refused); socket.Dispose(); return; }
        catch (Exception e) { Interlocked.Increment(ref _connectErrors); Note("connect " + Kind(e)); socket.Dispose(); return; }
        var _ = Task.Run(() => Exchange(socket, payloadBytes));
    }

    private async Task Exchange(Socket socket, int payloadBytes)
    {
        var payload = new byte[payloadBytes];
        for (int i = 0; i < payloadBytes; i++) payload[i] = (byte)('a' + i % 26);
        var buffer = new byte[payloadBytes];
        try
        {
            await socket.SendAsync(new ReadOnlyMemory<byte>(payload), SocketFlags.None, _cts.Token);
            int got = 0;
            while (got < payloadBytes)
            {
                int n = await socket.ReceiveAsync(new Memory<byte>(buffer, got, payloadBytes - got), SocketFlags.None, _cts.Token);
                if (n == 0) { Interlocked.Increment(ref _eof); return; }
                got += n;
            }
            Interlocked.Increment(ref ((ReadOnlySpan<byte>)buffer).SequenceEqual(payload) ? ref _echoed : ref _corrupted);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset) { Interlocked.Increment(ref _reset); }
        catch (Exception e) { if (!_cts.IsCancellationRequested) { Interlocked.Increment(ref _otherErrors); Note("exchange " + Kind(e)); } }
    }

    private static string Kind(Exception e) { var s = e as SocketException; return s != null ? s.SocketErrorCode.ToString() : e.GetType().Name; }
    private void Note(string kind) { _errorKinds.AddOrUpdate(kind, 1, (k, n) => n + 1); }

    public void Dispose()
    {
        _cts.Cancel();
        foreach (Socket s in _sockets) { try { s.Dispose(); } catch (Exception) { } }
    }
}
