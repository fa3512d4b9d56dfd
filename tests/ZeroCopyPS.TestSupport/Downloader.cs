using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>Connects (retrying refusals until the deadline) and reads until the stream ends; Outcome says how.</summary>
public sealed class Downloader : IDisposable
{
    private readonly Socket _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    public long BytesReceived;
    public Task<string> Outcome { get; private set; }

    public Downloader(int port, int connectDeadlineMs)
    {
        Outcome = Task.Run(() =>
        {
            DateTime deadline = DateTime.UtcNow.AddMilliseconds(connectDeadlineMs);
            Socket socket = _socket;
            while (true)
            {
                try { socket.Connect(new IPEndPoint(IPAddress.Loopback, port)); break; }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused && DateTime.UtcNow < deadline)
                {
                    Thread.Sleep(50);
                }
                catch (Exception e) { return "NotConnected: " + e.Message; }
            }
            socket.ReceiveTimeout = 60000;
            var buffer = new byte[65536];
            try
            {
                int n;
                while ((n = socket.Receive(buffer)) > 0) Interlocked.Add(ref BytesReceived, n);
                return "EOF";
            }
            catch (SocketException e) { return e.SocketErrorCode.ToString(); }
            catch (ObjectDisposedException) { return "Disposed"; }
        });
    }

    public void Dispose() { _socket.Dispose(); }
}
