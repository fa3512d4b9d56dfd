using System.Net.Sockets;
using System.Text;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// The offering side of a hand-over: serves the proxy's listening sockets on <see cref="ProxyOptions.HandOverPath"/>
/// to the next instance (docs/ARCHITECTURE.md, "Seamless restart"). The path is bound under a temporary
/// name, made owner-only, and renamed over the path at once, so a taker always finds exactly one
/// instance there; at stop the path is removed only if it is still this socket. When a taker confirms,
/// the socket files it took are no longer this proxy's to remove, and <see cref="Taken"/> is cancelled.
/// </summary>
internal sealed class HandOverServer : IDisposable
{
    private readonly IReadOnlyList<BoundListener> _listeners;
    private readonly Socket _socket;
    private readonly UnixSocketFile _file;
    private readonly CancellationTokenSource _taken = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private HandOverServer(IReadOnlyList<BoundListener> listeners, Socket socket, UnixSocketFile file)
    {
        _listeners = listeners;
        _socket = socket;
        _file = file;
        _serving = Task.Run(ServeAsync);
    }

    public CancellationToken Taken => _taken.Token;

    /// <summary>Serves <paramref name="path"/> (already checked: missing, or a socket). Throws <see cref="ProxyStartException"/> when it cannot.</summary>
    public static HandOverServer Start(string path, IReadOnlyList<BoundListener> listeners)
    {
        string temporary = $"{path}.{Environment.ProcessId}.tmp";
        var endpoint = ProxyEndpoint.Parse("unix:" + path);
        // A socket left at this name by this very PID is ours to replace; anything else there is someone's file.
        if (NativeFile.Lstat(temporary, out _, out _) is not (FileKind.Missing or FileKind.Socket))
            throw new ProxyStartException(ProxyStartFailure.ListenPathNotASocket, temporary,
                $"Cannot serve the hand-over path '{path}': '{temporary}', the name it binds first, is a file that is not a socket; it was left alone.");
        RemoveIfSocket(temporary);
        int fd = NativeSocket.TryCreateStream(AddressFamily.Unix, out int errno);
        if (fd < 0) throw Failure(endpoint, "socket", errno);
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        try
        {
            errno = NativeSocket.Bind(fd, new UnixDomainSocketEndPoint(temporary).Serialize());
            if (errno == 0) errno = NativeFile.Chmod(temporary, 0b110_000_000); // 0600: only this user may take the sockets
            if (errno == 0) errno = NativeSocket.Listen(fd, 8);
            if (errno != 0) throw Failure(endpoint, "bind", errno);
            File.Move(temporary, path, overwrite: true); // rename(2): the previous instance's socket is replaced at once
            UnixSocketFile file = UnixSocketFile.Adopt(path) ?? throw Failure(endpoint, "rename", Errno.ENOENT);
            return new HandOverServer(listeners, new Socket(handle), file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            handle.Dispose();
            RemoveIfSocket(temporary);
            throw new ProxyStartException(ProxyStartFailure.ListenFailed, path, $"Cannot serve the hand-over path '{path}': {e.Message}", e);
        }
        catch
        {
            handle.Dispose();
            RemoveIfSocket(temporary);
            throw;
        }
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket taker;
            try { taker = await _socket.AcceptAsync(_stop.Token); }
            catch (Exception) { return; } // stopped, or the socket closed under us
            using (taker)
            {
                try { await Task.Run(() => Converse(taker)).WaitAsync(HandOverWire.Timeout * 3, _stop.Token); }
                catch (Exception) { } // a taker that fails or stalls takes nothing
            }
        }
    }

    // One taker, one conversation; the descriptors travel in one message with their names.
    private void Converse(Socket taker)
    {
        int fd = (int)taker.Handle;
        taker.Blocking = true;
        HandOverWire.SetTimeouts(fd);
        if (!HandOverWire.PeerIsTrusted(fd) || HandOverWire.ReadLine(fd) != HandOverWire.Take) return;
        BoundListener[] offered = _listeners.Where(l => !l.IsClosed).ToArray();
        var text = new StringBuilder($"{HandOverWire.Sockets} {offered.Length}\n");
        foreach (BoundListener listener in offered) text.Append(HandOverWire.Describe(listener.Socket)).Append('\n');
        int[] descriptors = offered.Select(l => (int)l.Socket.Handle).ToArray();
        if (DescriptorPassing.Send(fd, Encoding.UTF8.GetBytes(text.ToString()), descriptors) != 0) return;
        string? answer = HandOverWire.ReadLine(fd);
        if (answer is null || !answer.StartsWith(HandOverWire.Taken, StringComparison.Ordinal)) return;
        int taken = 0;
        foreach (string index in answer[HandOverWire.Taken.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!int.TryParse(index, out int i) || i < 0 || i >= offered.Length) continue;
            offered[i].SocketFile?.Relinquish(); // the socket file is the taker's now: our stop must not remove it
            taken++;
        }
        if (taken > 0) _taken.Cancel();
    }

    /// <summary>Stops serving and removes the path if it is still this socket (not a newer instance's).</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _file.RemoveIfStillOurs();
        try { _serving.Wait(HandOverWire.Timeout); } catch (AggregateException) { }
    }

    private static ProxyStartException Failure(ProxyEndpoint endpoint, string call, int errno) =>
        new(ProxyStartFailure.ListenFailed, endpoint.Text, $"Cannot serve the hand-over path '{endpoint.UnixPath}': {call} failed: {Errno.Describe(errno)}.");

    // Only a socket is ever removed (docs/ARCHITECTURE.md, "Unix socket files"): the temporary name is bound by us.
    private static void RemoveIfSocket(string path)
    {
        if (NativeFile.Lstat(path, out _, out _) == FileKind.Socket) NativeFile.Unlink(path);
    }
}
