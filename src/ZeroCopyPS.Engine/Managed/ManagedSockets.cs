using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;

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
    /// A direction has finished (its source's end, then the FIN) and <paramref name="other"/> still runs: a receive
    /// on that source now returns 0 at once and cannot wait for a reset, yet one may still come (a client that
    /// half-closed, then aborted). Its pending error (SO_ERROR) is looked at every 100 ms until the other direction
    /// ends or <paramref name="token"/> is cancelled; returns that errno, or 0. Linux only (elsewhere 0 at once).
    /// </summary>
    public static async Task<int> WatchFinishedSource(Socket source, Task other, CancellationToken token)
    {
        if (!OperatingSystem.IsLinux()) return 0;
        while (!other.IsCompleted && !token.IsCancellationRequested)
        {
            await Task.WhenAny(other, Task.Delay(SourceErrorPollMilliseconds, token)).ConfigureAwait(false);
            if (!other.IsCompleted && NativeSocket.GetPendingError((int)source.Handle) is int errno and not 0) return errno;
        }
        return 0;
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
