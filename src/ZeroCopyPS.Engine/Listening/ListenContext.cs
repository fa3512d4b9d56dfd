using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// What one proxy's start needs beyond its options to listen (docs/ARCHITECTURE.md, "Seamless restart"):
/// the sockets a running instance offered on <see cref="ProxyOptions.HandOverPath"/>, taken by
/// <see cref="ListenSocketFactory.BindAll"/> instead of binding anew, and afterwards the hand-over server
/// that offers this proxy's own listeners to the next instance. The engines call BindAll while the
/// context is entered (<see cref="Enter"/>, the start's own thread), so neither engine knows of it.
/// </summary>
internal sealed class ListenContext : IDisposable
{
    [ThreadStatic] private static ListenContext? _current;

    private readonly ProxyOptions _options;
    private readonly HandOverOffer? _offer;
    private readonly List<(BoundListener Listener, string? Path)> _adopted = new();
    private IReadOnlyList<BoundListener> _bound = [];
    private HandOverServer? _server;

    private ListenContext(ProxyOptions options, HandOverOffer? offer)
    {
        _options = options;
        _offer = offer;
    }

    public static ListenContext? Current => _current;

    /// <summary>Sockets taken over from the previous instance (0 without a hand-over).</summary>
    public int AdoptedCount => _adopted.Count;

    /// <summary>Cancelled once the next instance took this proxy's listeners (it should then stop with its drain).</summary>
    public CancellationToken Taken => _server?.Taken ?? CancellationToken.None;

    /// <summary>Before the engine starts: with a hand-over path, takes what the instance serving it offers.</summary>
    public static ListenContext Prepare(ProxyOptions options)
    {
        if (options.HandOverPath is not { } path) return new ListenContext(options, null);
        CheckHandOverPath(path);
        return new ListenContext(options, HandOverOffer.TryTake(path));
    }

    // Only a socket (the previous instance's, or a stale one) may be at the path: a user's file there is
    // refused, never replaced (docs/ARCHITECTURE.md, "Unix socket files").
    private static void CheckHandOverPath(string path)
    {
        FileKind kind = NativeFile.Lstat(path, out _, out int errno);
        string? directory = Path.GetDirectoryName(path);
        if (kind == FileKind.Missing && directory is { Length: > 0 } && NativeFile.Lstat(directory, out _, out _) != FileKind.Directory)
            throw new ProxyStartException(ProxyStartFailure.ListenDirectoryNotFound, path, $"Cannot serve the hand-over path '{path}': the directory '{directory}' does not exist.");
        if (kind is not (FileKind.Missing or FileKind.Socket))
            throw new ProxyStartException(ProxyStartFailure.ListenPathNotASocket, path,
                $"Cannot serve the hand-over path '{path}': something other than a socket is there ({(errno != 0 ? Errno.Describe(errno) : kind.ToString())}), and ZeroCopyPS never removes or replaces it.");
    }

    public Scope Enter()
    {
        _current = this;
        return new Scope();
    }

    /// <summary>BindAll: the offered socket for this address, if the previous instance listened there.</summary>
    public BoundListener? TryAdopt(ProxyEndpoint endpoint, EndPoint address, string? path)
    {
        if (_offer is null || address is IPEndPoint { Port: 0 }) return null;
        Socket? socket = _offer.Take(address.ToString() ?? "");
        if (socket is null) return null;
        // The new settings' backlog applies to the socket from now on (listen again on a listening socket).
        NativeSocket.Listen((int)socket.Handle, _options.ListenBacklog);
        var listener = new BoundListener(socket, endpoint, null);
        _adopted.Add((listener, path));
        return listener;
    }

    /// <summary>BindAll: every listener of the proxy, adopted or bound.</summary>
    public void Bound(IReadOnlyList<BoundListener> listeners) => _bound = listeners;

    /// <summary>
    /// The engine serves: the previous instance is told what was taken (its socket files become this
    /// proxy's), then this proxy offers its own listeners on the hand-over path.
    /// </summary>
    public void Started()
    {
        _offer?.Confirm();
        _offer?.Dispose(started: true);
        foreach ((BoundListener listener, string? path) in _adopted)
            if (path is not null) listener.TakeOwnership(UnixSocketFile.Adopt(path));
        if (_options.HandOverPath is { } handOverPath) _server = HandOverServer.Start(handOverPath, _bound);
    }

    /// <summary>The start failed: sockets taken stay with the previous instance, which keeps serving them.</summary>
    public void Abandon() => _offer?.Dispose(started: false);

    /// <summary>Stop: no more hand-overs (the listeners are about to close).</summary>
    public void Dispose() => _server?.Dispose();

    public readonly struct Scope : IDisposable
    {
        public void Dispose() => _current = null;
    }
}
