using System.Net;

namespace ZeroCopyPS.Engine.Proxy;

/// <summary>
/// A running L4 proxy. <see cref="Start"/> binds every listener before it returns (or throws
/// <see cref="ProxyStartException"/> with nothing left bound); the engine then serves on its own
/// threads until <see cref="Stop(TimeSpan)"/>.
/// </summary>
public sealed class ProxyServer : IDisposable
{
    // Every running proxy of the process, for the exit hook below.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ProxyServer, byte> Running = new();

    // When the process exits, the kernel would close every socket with a FIN: a target would take a
    // stream cut mid-transfer for a complete one. Stopping with no drain resets open connections instead.
    static ProxyServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (ProxyServer server in Running.Keys)
        {
            try { server.Stop(TimeSpan.Zero); } catch (Exception) { }
        }
    };

    private readonly IProxyEngine _engine;
    private readonly object _stopLock = new();
    private volatile bool _stopRequested;

    private ProxyServer(ProxyOptions options, IProxyEngine engine)
    {
        Options = options;
        _engine = engine;
    }

    public ProxyOptions Options { get; }

    public string Name => Options.Name;

    public EngineKind Engine => _engine.Kind;

    /// <summary>The addresses actually bound (port 0 resolved to the port the kernel chose).</summary>
    public IReadOnlyList<EndPoint> ListenEndPoints => _engine.BoundEndPoints;

    public bool IsRunning => !_stopRequested;

    /// <summary>True when this process can use the epoll/splice engine.</summary>
    public static bool IsSpliceSupported => OperatingSystem.IsLinux();

    public static ProxyServer Start(ProxyOptions options, IProxyObserver observer)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(observer);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ProxyStartException(ProxyStartFailure.InvalidOptions, options.Name, e.Message, e);
        }

        EngineKind kind = options.Engine;
        if (kind == EngineKind.Auto) kind = IsSpliceSupported ? EngineKind.Epoll : EngineKind.Managed;
        if (kind == EngineKind.Epoll && !IsSpliceSupported)
            throw new ProxyStartException(ProxyStartFailure.UnsupportedPlatform, options.Name,
                "The epoll/splice engine needs Linux. Use -Engine Managed (buffered copy) on this platform.");

        IProxyEngine engine = kind == EngineKind.Epoll
            ? Epoll.EpollProxyEngine.Start(options, observer)
            : Portable.ManagedProxyEngine.Start(options, observer);
        var server = new ProxyServer(options, engine);
        Running[server] = 0;
        return server;
    }

    public ProxyStatus GetStatus() => _engine.GetStatus(IsRunning);

    /// <summary>Stops with the configured drain timeout.</summary>
    public void Stop() => Stop(Options.DrainTimeout);

    /// <summary>
    /// Closes the listeners at once, drains open connections up to <paramref name="drainTimeout"/>, then
    /// closes them. Idempotent: a second caller waits for the first to finish, then returns.
    /// </summary>
    public void Stop(TimeSpan drainTimeout)
    {
        lock (_stopLock)
        {
            if (_stopRequested) return;
            _stopRequested = true;
            Running.TryRemove(this, out _);
            _engine.Stop(drainTimeout);
        }
    }

    public void Dispose() => Stop(TimeSpan.Zero);
}
