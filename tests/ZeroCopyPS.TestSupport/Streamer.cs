using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.TestSupport;

/// <summary>Connects and sends zeros until the connection fails or 30 s pass; returns bytes sent.</summary>
public static class Streamer
{
    public static Task<long> Start(int port)
    {
        return Task.Run(() =>
        {
            long sent = 0;
            var deadline = DateTime.UtcNow.AddSeconds(30);
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                socket.SendTimeout = 5000;
                socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                byte[] chunk = new byte[65536];
                try { while (DateTime.UtcNow < deadline) sent += socket.Send(chunk); }
                catch (SocketException) { }
            }
            return sent;
        });
    }
}
