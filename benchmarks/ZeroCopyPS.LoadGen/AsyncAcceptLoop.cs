using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>The accept loop of the load generator's async servers (echo-async, soak).</summary>
internal static class AsyncAcceptLoop
{
    /// <summary>
    /// Accepts until <paramref name="stopped"/> says so, hands each TCP socket (NoDelay set) or Unix socket to
    /// <paramref name="accepted"/>; EMFILE and friends back off a millisecond instead of spinning.
    /// </summary>
    public static async Task RunAsync(Socket listener, Func<bool> stopped, Action<Socket> accepted)
    {
        while (!stopped())
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (stopped()) return;
                await Task.Delay(1).ConfigureAwait(false);
                continue;
            }
            if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true;
            accepted(socket);
        }
    }
}
