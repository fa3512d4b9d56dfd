using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// What every connection of one proxy shares, whatever engine runs it (docs/ARCHITECTURE.md,
/// "Connection policy"): the options as milliseconds, the target's DNS, the counters, admission against
/// MaxConnections and the descriptor budget, publishing a closed connection, the drain, and the status.
/// Thread-safe.
/// </summary>
internal sealed class ProxyRuntime
{
    private readonly ManualResetEventSlim _drained = new(false);
    private readonly ManualResetEventSlim _drainCut = new(false);
    private readonly HealthChecker? _healthChecker;
    private volatile bool _draining;
    private volatile TargetPool _targets;

    public ProxyRuntime(ProxyOptions options, IProxyObserver observer)
    {
        Options = options;
        Observer = observer;
        ConnectTimeoutMs = Milliseconds(options.ConnectTimeout);
        IdleTimeoutMs = Milliseconds(options.IdleTimeout);
        HalfCloseTimeoutMs = Milliseconds(options.HalfCloseTimeout);
        CoolDownMs = Milliseconds(options.HealthCoolDown);
        ProxyProtocolTimeoutMs = Milliseconds(options.ProxyProtocolTimeout);
        Filter = new ClientFilter(options.AllowClients, options.DenyClients);
        Faults = new FaultSet(options.Name, options.Faults);
        _targets = NewPool(options.Targets, previous: null);
        if (options.HealthCheckInterval > TimeSpan.Zero) _healthChecker = new HealthChecker(this, options.HealthCheckInterval);
        Metrics = new ZeroCopyPS.Engine.Metrics.ProxyMetrics(options.Name);
    }

    /// <summary>This proxy's figures for the ZeroCopyPS meter (docs/ARCHITECTURE.md, "Metrics").</summary>
    public ZeroCopyPS.Engine.Metrics.ProxyMetrics Metrics { get; }

    public ProxyOptions Options { get; }

    public IProxyObserver Observer { get; }

    /// <summary>The targets in force; replaced as a whole by <see cref="SetTargets"/>.</summary>
    public TargetPool Targets => _targets;

    public ClientFilter Filter { get; }

    /// <summary>The faults injected now (docs/ARCHITECTURE.md, "Fault injection").</summary>
    public FaultSet Faults { get; }

    /// <summary>Open connections by id, for Get-/Stop-ZeroCopyConnection (added at accept, removed at close).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<long, ILiveConnection> Live { get; } = new();

    public long CoolDownMs { get; }

    public long ProxyProtocolTimeoutMs { get; }

    public ProxyCounters Counters { get; } = new();

    /// <summary>Written bytes that abortive closes discarded from send queues: subtracted from the live totals.</summary>
    public TrafficCounters Discarded { get; } = new();

    public DateTimeOffset StartTime { get; } = DateTimeOffset.Now;

    public long ConnectTimeoutMs { get; }

    /// <summary>0: no idle timeout.</summary>
    public long IdleTimeoutMs { get; }

    /// <summary>0: no half-close timeout.</summary>
    public long HalfCloseTimeoutMs { get; }

    public bool IsDraining => _draining;

    /// <summary>
    /// Before an accept: a slot under MaxConnections and the connection's two descriptors from the
    /// process's budget. False at either limit, or while stopping; accepting then pauses.
    /// </summary>
    public bool TryAdmit()
    {
        if (_draining || !Counters.TryOpen(Options.MaxConnections)) return false;
        if (DescriptorBudget.TryReserve(DescriptorBudget.PerConnection)) return true;
        Counters.Unopen();
        return false;
    }

    /// <summary>Gives back an admission no connection used (accept found nobody).</summary>
    public void Unadmit()
    {
        DescriptorBudget.Release(DescriptorBudget.PerConnection);
        Counters.Unopen();
    }

    /// <summary>A connection's statistics are final: counts them, hands them to the observer, frees its admission.</summary>
    public void Publish(ConnectionStatistics statistics)
    {
        // Counted and queued for the access log before the observer hears of it (docs/ARCHITECTURE.md, "Metrics"):
        // a script that reads the status once it has the record sees the connection closed.
        Counters.CountClosed(statistics.CloseReason);
        Metrics.OnClosed(statistics);
        Options.AccessLog?.Write(statistics);
        try
        {
            Observer.OnConnectionClosed(statistics);
        }
        catch (Exception)
        {
            // An observer must not throw; if it does, the proxy still serves.
        }
        DescriptorBudget.Release(DescriptorBudget.PerConnection);
        if (Counters.FreeSlot() == 0 && _draining) _drained.Set();
    }

    /// <summary>
    /// Replaces the targets: new connections use the new set at once, open ones finish where they are.
    /// A target that stays (same endpoint, weight and role) keeps its health and counters.
    /// </summary>
    public void SetTargets(IReadOnlyList<ProxyTarget> targets) => _targets = NewPool(targets, _targets);

    private TargetPool NewPool(IReadOnlyList<ProxyTarget> targets, TargetPool? previous) => new(targets, Options.Balance, target =>
        previous?.All.FirstOrDefault(s => s.Target.Endpoint.Text == target.Endpoint.Text && s.Target.Weight == target.Weight && s.Target.Backup == target.Backup)
        ?? new TargetState(target, Options.DnsCacheDuration, OnTargetChanged));

    private void OnTargetChanged(TargetState target, TargetHealth health, string reason)
    {
        try { Observer.OnTargetStateChanged(new TargetStateChange(Options.Name, target.Target.Endpoint.Text, health, reason, DateTimeOffset.Now)); }
        catch (Exception) { } // an observer must not throw
    }

    /// <summary>Stops the active health check (the proxy stops).</summary>
    public void StopHealthChecks() => _healthChecker?.Dispose();

    public void ReportFault(Exception error)
    {
        Metrics.OnFault();
        try { Observer.OnEngineFaulted(error); } catch (Exception) { }
    }

    /// <summary>Stops admitting, then waits until every open connection closed, the drain is cut short, or the timeout.</summary>
    public void Drain(TimeSpan timeout)
    {
        _draining = true;
        if (Counters.Active == 0) return;
        WaitHandle.WaitAny([_drained.WaitHandle, _drainCut.WaitHandle], WaitTime.Bounded(timeout));
    }

    /// <summary>Any thread: a drain in progress ends now (the process is ending).</summary>
    public void CutDrainShort() => _drainCut.Set();

    /// <summary>The status every engine reports, from the counters and the engine's own figures.</summary>
    public ProxyStatus BuildStatus(bool isRunning, EngineKind engine, IReadOnlyList<EndPoint> listen, IEnumerable<TrafficCounters> traffic, PipeFigures pipes, int eventLoops)
    {
        long c2t = 0, t2c = 0, spliced = 0, copied = 0, fallbacks = 0;
        foreach (TrafficCounters k in traffic)
        {
            c2t += Volatile.Read(ref k.BytesClientToTarget);
            t2c += Volatile.Read(ref k.BytesTargetToClient);
            spliced += Volatile.Read(ref k.BytesSpliced);
            copied += Volatile.Read(ref k.BytesCopied);
            fallbacks += Volatile.Read(ref k.SpliceFallbacks);
        }
        c2t -= Volatile.Read(ref Discarded.BytesClientToTarget);
        t2c -= Volatile.Read(ref Discarded.BytesTargetToClient);
        spliced -= Volatile.Read(ref Discarded.BytesSpliced);
        copied -= Volatile.Read(ref Discarded.BytesCopied);
        TargetPool targets = _targets;
        return new ProxyStatus
        {
            Name = Options.Name,
            ListenEndPoints = listen.Select(ProxyEndpoint.Format).ToArray(),
            Target = string.Join(", ", targets.All.Select(t => t.Target.Endpoint.Text)),
            Targets = targets.All.Select(t => t.Snapshot()).ToArray(),
            Balance = Options.Balance,
            DeniedConnections = Counters.ClosedWith(CloseReason.Denied),
            CopyMode = Options.CopyMode,
            Engine = engine,
            IsRunning = isRunning,
            StartTime = StartTime,
            ActiveConnections = Counters.Open,
            TotalConnections = Counters.Total,
            FailedConnections = Counters.Failed,
            RefusedConnections = Counters.Refused,
            BytesClientToTarget = c2t,
            BytesTargetToClient = t2c,
            BytesSpliced = spliced,
            BytesCopied = copied,
            SpliceFallbacks = fallbacks,
            PipesInUse = pipes.InUse,
            PipesIdle = pipes.Idle,
            MaxPipes = pipes.Max,
            PipeCapacityBytes = pipes.CapacityBytes,
            PipesRefusedTooSmall = pipes.RefusedTooSmall,
            PipesBySize = pipes.BySize,
            PipeMemoryBytes = pipes.MemoryBytes,
            PeakPipeMemoryBytes = pipes.PeakMemoryBytes,
            MaxPipeMemoryBytes = pipes.MaxMemoryBytes,
            PipeGrowths = pipes.Growths,
            PipeGrowthsRefused = pipes.GrowthsRefused,
            PipeBudgetDenials = pipes.BudgetDenials,
            EventLoops = eventLoops,
            DnsLookups = targets.All.Sum(t => t.Dns.Lookups),
            DnsFailures = targets.All.Sum(t => t.Dns.Failures),
            DnsLastFailure = targets.All.Select(t => t.Dns.LastFailure).LastOrDefault(f => f is not null),
            Faults = Faults.Current,
        };
    }

    private static long Milliseconds(TimeSpan span) => (long)WaitTime.Bounded(span).TotalMilliseconds;
}
