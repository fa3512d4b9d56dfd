using System.Net;
using System.Runtime.InteropServices;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine;

/// <summary>
/// A running L4 proxy. <see cref="Start"/> binds every listener before it returns (or throws
/// <see cref="ProxyStartException"/> with nothing left bound); the engine then serves on its own
/// threads until <see cref="Stop(TimeSpan)"/>.
/// </summary>
public sealed class ProxyServer : IDisposable
{
    // Every running proxy of the process, for the exit and signal hooks below.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<ProxyServer, byte> Running = new();

    // How long the hooks wait for every proxy to reset its connections before the process goes anyway.
    private static readonly TimeSpan ExitStopTimeout = TimeSpan.FromSeconds(3);

    // Kept alive for the life of the process: a collected registration unregisters its handler.
    private static readonly PosixSignalRegistration?[] SignalRegistrations;

    // When the process ends, the kernel would close every socket with a FIN: a peer would take a stream
    // cut mid-transfer for a complete one. So every exit path stops every proxy with no drain, which
    // resets open connections and removes socket files (docs/ARCHITECTURE.md, "Process exit and signals").
    // pwsh runs no ProcessExit handlers on SIGTERM or SIGHUP, so those signals get their own hook; it
    // does not cancel the signal, whose default action (ending the process) follows.
    static ProxyServer()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopAllForExit();
        SignalRegistrations =
        [
            TryRegister(PosixSignal.SIGTERM),
            TryRegister(PosixSignal.SIGHUP),
        ];
    }

    private static PosixSignalRegistration? TryRegister(PosixSignal signal)
    {
        try
        {
            return PosixSignalRegistration.Create(signal, context =>
            {
                // With an access log open, SIGHUP is logrotate's "reopen" (docs/ARCHITECTURE.md, "Access log"):
                // the process goes on.
                if (signal == PosixSignal.SIGHUP && Logging.AccessLog.ReopenAll() > 0)
                {
                    context.Cancel = true;
                    return;
                }
                // A host that took SIGTERM over stops its proxy with a drain and cancels the signal itself;
                // stopping every proxy here would cut that drain (docs/ARCHITECTURE.md, "Process exit and signals").
                if (signal == PosixSignal.SIGTERM && TerminationTakeOver.Active) return;
                StopAllForExit();
            });
        }
        catch (Exception e) when (e is PlatformNotSupportedException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// For a host that handles SIGTERM itself (Start-ZeroCopyProxy -Wait: stop accepting, drain, return): while
    /// the returned handle lives, the engine's SIGTERM hook stops nothing and leaves the signal to the host's own
    /// <see cref="PosixSignalRegistration"/>, which must cancel it. Exit (ProcessExit) still stops every proxy.
    /// </summary>
    public static IDisposable TakeOverTermination() => new TerminationTakeOver();

    /// <summary>Stops every proxy of the process at once with no drain, in parallel, bounded.</summary>
    internal static void StopAllForExit()
    {
        ProxyServer[] servers = Running.Keys.ToArray();
        // A stop already draining (Stop-ZeroCopyProxy a moment ago) holds the stop lock: cut its drain short.
        foreach (ProxyServer server in servers) server._engine.CutDrainShort();
        Task[] stops = servers
            .Select(server => Task.Run(() => { try { server.Stop(TimeSpan.Zero); } catch (Exception) { } }))
            .ToArray();
        try { Task.WaitAll(stops, ExitStopTimeout); } catch (AggregateException) { }
    }

    private readonly IProxyEngine _engine;
    private Metrics.ProxyMetrics? _metrics;
    private Listening.ListenContext? _listening;
    private readonly object _stopLock = new();
    private volatile bool _stopRequested;

    private readonly ProxyRuntime _runtime;

    private ProxyServer(ProxyOptions options, IProxyEngine engine, ProxyRuntime runtime)
    {
        Options = options;
        _engine = engine;
        _runtime = runtime;
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

        DescriptorBudget.Refresh();
        var runtime = new ProxyRuntime(options, observer);
        // With a hand-over path, the listeners of the instance serving it are taken over (docs/ARCHITECTURE.md, "Seamless restart").
        var listening = Listening.ListenContext.Prepare(options);
        IProxyEngine engine;
        try
        {
            using (listening.Enter())
                engine = kind == EngineKind.Epoll ? Epoll.EpollEngine.Start(runtime) : Managed.ManagedEngine.Start(runtime);
        }
        catch
        {
            listening.Abandon();
            throw;
        }
        try
        {
            listening.Started();
        }
        catch
        {
            engine.Stop(TimeSpan.Zero);
            throw;
        }
        // Counted again with this proxy's own listeners and loops open: what is left is what it can serve.
        DescriptorBudget.Refresh();
        long affordable = (DescriptorBudget.Allowance - DescriptorBudget.Held) / DescriptorBudget.PerConnection;
        var server = new ProxyServer(options, engine, runtime)
        {
            EffectiveMaxConnections = (int)Math.Clamp(affordable, 0, options.MaxConnections),
            DescriptorLimit = DescriptorBudget.Limit,
            _metrics = runtime.Metrics,
            _listening = listening,
        };
        runtime.Metrics.Attach(() => engine.GetStatus(true));
        Running[server] = 0;
        return server;
    }

    /// <summary>
    /// Connections the proxy can hold at once when it started: MaxConnections, or fewer when the
    /// process's descriptor limit allows fewer (see <see cref="ProxyStatus.EffectiveMaxConnections"/>).
    /// </summary>
    public int EffectiveMaxConnections { get; private init; }

    /// <summary>The process's descriptor limit (soft RLIMIT_NOFILE) when the proxy started; 0 where unknown.</summary>
    public long DescriptorLimit { get; private init; }

    /// <summary>
    /// Replaces the targets while the proxy runs: new connections use the new set at once, open ones
    /// finish where they are. A target that stays (same endpoint, weight and role) keeps its health and
    /// counters. Throws <see cref="ArgumentException"/> for an empty or portless set, and
    /// <see cref="ProxyStartException"/> (TargetIsListener) for a target that is one of its own listeners,
    /// changing nothing.
    /// </summary>
    public void SetTargets(IReadOnlyList<ProxyTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count is 0 or > ProxyOptionLimits.TargetsMaximum)
            throw new ArgumentException($"A proxy needs 1 to {ProxyOptionLimits.TargetsMaximum} targets.", nameof(targets));
        if (targets.FirstOrDefault(t => t.Endpoint.Port == 0 && !t.Endpoint.IsUnix) is { } portless)
            throw new ArgumentException($"The target '{portless.Endpoint.Text}' needs a port other than 0.", nameof(targets));
        Listening.SelfTargetCheck.ThrowIfAnyTargetIsListener(targets, _engine.BoundListeners);
        _runtime.SetTargets(targets);
    }

    /// <summary>The faults injected now, in the order they were added.</summary>
    public IReadOnlyList<ProxyFault> Faults => _runtime.Faults.Current;

    /// <summary>
    /// Injects a fault into new and open connections at once (docs/ARCHITECTURE.md, "Fault injection"); returns
    /// it as stored (with <see cref="ProxyFault.ProxyName"/>). Throws <see cref="ArgumentException"/> naming the
    /// bad setting, or for a name already in use.
    /// </summary>
    public ProxyFault AddFault(ProxyFault fault) => _runtime.Faults.Add(fault);

    /// <summary>Removes a fault; connections it touched go on without it at once. False when no fault has that name.</summary>
    public bool RemoveFault(string name) => _runtime.Faults.Remove(name);

    /// <summary>The open connections now, with their counts so far; the engine is not paused.</summary>
    public IReadOnlyList<ConnectionInfo> GetConnections() =>
        _runtime.Live.Values.Select(c => c.Snapshot()).OrderBy(c => c.ConnectionId).ToArray();

    /// <summary>
    /// Closes an open connection: reset at once, or with <paramref name="graceful"/> FIN after what is in
    /// flight. False when no such connection is open (it may just have closed).
    /// </summary>
    public bool CloseConnection(long connectionId, bool graceful = false)
    {
        if (!_runtime.Live.TryGetValue(connectionId, out Policy.ILiveConnection? connection)) return false;
        connection.RequestClose(graceful);
        return true;
    }

    /// <summary>The epoll engine's loop-thread allocations so far (see EpollEngine.AllocatedBytesOnLoops); -1 for the managed engine.</summary>
    internal long LoopAllocatedBytes() => _engine is Epoll.EpollEngine epoll ? epoll.AllocatedBytesOnLoops() : -1;

    public ProxyStatus GetStatus() => _engine.GetStatus(IsRunning) with
    {
        EffectiveMaxConnections = EffectiveMaxConnections,
        DescriptorLimit = DescriptorLimit,
    };

    /// <summary>
    /// Cancelled when the next instance took this proxy's listeners over <see cref="ProxyOptions.HandOverPath"/>
    /// (it now accepts on the same sockets): the host should then <see cref="Stop()"/> this one, with its
    /// drain. Never cancelled without a hand-over path. Callbacks run on a thread-pool thread.
    /// </summary>
    public CancellationToken ListenersHandedOver => _listening?.Taken ?? CancellationToken.None;

    /// <summary>Listening sockets this proxy took over from the previous instance at start (0 without one).</summary>
    public int ListenersTakenOver => _listening?.AdoptedCount ?? 0;

    /// <summary>Stops with the configured drain timeout.</summary>
    public void Stop() => Stop(Options.DrainTimeout);

    /// <summary>
    /// Any thread: ends a drain now (a stop running or the next one resets the connections still open instead
    /// of waiting for them); a second SIGTERM or Ctrl+C of Start-ZeroCopyProxy -Wait.
    /// </summary>
    public void CutDrainShort() => _engine.CutDrainShort();

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
            try
            {
                _runtime.StopHealthChecks();
                _listening?.Dispose(); // no hand-over of listeners that are about to close
                _engine.Stop(WaitTime.Bounded(drainTimeout));
            }
            finally
            {
                Running.TryRemove(this, out _);
                _metrics?.Detach();
            }
        }
    }

    public void Dispose() => Stop(TimeSpan.Zero);
}
