using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>Socket settings and checks the managed engine applies to its .NET sockets.</summary>
internal static class ManagedSockets
{
    private const int SourceErrorPollMilliseconds = 100;

    /// <summary>
    /// Urgent (out-of-band) bytes stay in the stream, as the epoll engine keeps them: without
    /// SO_OOBINLINE the kernel holds the byte aside and a stream read never sees it.
    /// </summary>
    public static void ConfigureTcp(Socket socket)
    {
        socket.NoDelay = true;
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.OutOfBandInline, true);
    }

    /// <summary>A cut stream must not look complete to a peer: its close sends a reset instead of a FIN.</summary>
    public static void TryLingerZero(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.Unix) return; // a Unix leg cannot carry a reset
        try { socket.LingerState = new LingerOption(true, 0); } catch (Exception) { }
    }

    /// <summary>
    /// A send waits for a slow destination: the source must still be heard. Its zero-byte receive fails
    /// on a reset when nothing is queued; with bytes queued the reset only shows as the socket's pending
    /// error (SO_ERROR), looked at every 100 ms while the send waits. Throws the source's error.
    /// </summary>
    public static async Task WatchSourceWhileSending(Socket source, Task<int> send, Task<int> sourceReady, CancellationToken token)
    {
        while (!send.IsCompleted)
        {
            await Task.WhenAny(send, sourceReady, Task.Delay(SourceErrorPollMilliseconds, token)).ConfigureAwait(false);
            if (sourceReady.IsFaulted) await sourceReady.ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
            if (!send.IsCompleted && source.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int error and not 0)
                throw new SocketException(error);
        }
    }
}
