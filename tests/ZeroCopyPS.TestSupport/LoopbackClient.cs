using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>Clients for tests: an exchange that checks the echo byte for byte, an idle connection, a connect probe.</summary>
public static class LoopbackClient
{
    /// <summary>
    /// Connects, sends <paramref name="bytes"/> bytes of a known pattern while reading concurrently, shuts down its
    /// sending side, and reads until EOF. Never blocks longer than the timeout.
    /// </summary>
    public static ExchangeResult Exchange(string host, int port, int bytes, int timeoutMs) =>
        Exchange(new IPEndPoint(IPAddress.Parse(host), port), bytes, timeoutMs);

    /// <summary>The same over a Unix socket; an abstract name starts with '@'.</summary>
    public static ExchangeResult ExchangeUnix(string path, int bytes, int timeoutMs) =>
        Exchange(new UnixDomainSocketEndPoint(path.StartsWith('@') ? "\0" + path[1..] : path), bytes, timeoutMs);

    private static ExchangeResult Exchange(EndPoint endPoint, int bytes, int timeoutMs)
    {
        var result = new ExchangeResult();
        var payload = new byte[bytes];
        for (int i = 0; i < bytes; i++) payload[i] = (byte)(i * 31 + 7);
        var received = new MemoryStream();
        using (var cts = new CancellationTokenSource(timeoutMs))
        using (var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp))
        {
            try
            {
                socket.ConnectAsync(endPoint, cts.Token).AsTask().Wait(cts.Token);
                result.LocalEndPoint = socket.LocalEndPoint?.ToString();
                Task send = Task.Run(async () =>
                {
                    for (int offset = 0; offset < bytes;)
                    {
                        offset += await socket.SendAsync(payload.AsMemory(offset, Math.Min(16 * 1024, bytes - offset)), SocketFlags.None, cts.Token);
                        result.BytesSent = offset;
                    }
                    socket.Shutdown(SocketShutdown.Send);
                });
                Task receive = Task.Run(async () =>
                {
                    var buffer = new byte[64 * 1024];
                    int n;
                    while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token)) > 0) received.Write(buffer, 0, n);
                });
                Task.WhenAll(send, receive).Wait(cts.Token);
            }
            catch (Exception e)
            {
                Exception inner = e is AggregateException && e.InnerException is not null ? e.GetBaseException() : e;
                result.Error = inner is OperationCanceledException ? $"timed out after {timeoutMs} ms" : $"{inner.GetType().Name}: {inner.Message}";
            }
        }

        byte[] back = received.ToArray();
        result.BytesReceived = back.Length;
        result.EchoMatches = back.AsSpan().SequenceEqual(payload);
        return result;
    }

    /// <summary>A loopback port nothing listens on right now (bound, read, released).</summary>
    public static int GetClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>A connected socket that sends nothing (for idle-timeout and drain tests); the caller disposes it.</summary>
    public static Socket OpenIdle(string host, int port, int timeoutMs)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(timeoutMs);
            socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cts.Token).AsTask().Wait(cts.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True when a connection to the port is accepted within the timeout.</summary>
    public static bool CanConnect(string host, int port, int timeoutMs)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(host), port), cts.Token).AsTask().Wait(cts.Token);
            return true;
        }
        // A reset means a listener took the connection and closed it at once (a proxy whose target refuses
        // resets its client): something listens. Refused or silent: nothing does.
        catch (AggregateException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }
}
