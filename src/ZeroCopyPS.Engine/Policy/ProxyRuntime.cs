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
    private volatile bool _draining;

    public ProxyRuntime(ProxyOptions options, IProxyObserver observer)
    {
        Options = options;
        Observer = observer;
        Dns = new TargetDns(options.Target, options.DnsCacheDuration);
        ConnectTimeoutMs = Milliseconds(options.ConnectTimeout);
        IdleTimeoutMs = Milliseconds(options.IdleTimeout);
        HalfCloseTimeoutMs = Milliseconds(options.HalfCloseTimeout);
        Metrics = new ZeroCopyPS.Engine.Metrics.ProxyMetrics(options.Name);
    }

    /// <summary>This proxy's figures for the ZeroCopyPS meter (docs/ARCHITECTURE.md, "Metrics").</summary>
    public ZeroCopyPS.Engine.Metrics.ProxyMetrics Metrics { get; }

    public ProxyOptions Options { get; }

    public IProxyObserver Observer { get; }

    public TargetDns Dns { get; }

    public ProxyCounters Counters { get; } = new();

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
        // Counted and queued for the access log before the observer hears of it (docs/ARCHITECTURE.md, "Metrics").
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
        if (Counters.Closed(statistics.CloseReason) == 0 && _draining) _drained.Set();
    }

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
        return new ProxyStatus
        {
            Name = Options.Name,
            ListenEndPoints = listen.Select(ProxyEndpoint.Format).ToArray(),
            Target = Options.Target.Text,
            CopyMode = Options.CopyMode,
            Engine = engine,
            IsRunning = isRunning,
            StartTime = StartTime,
            ActiveConnections = Counters.Active,
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
            EventLoops = eventLoops,
            DnsLookups = Dns.Lookups,
            DnsFailures = Dns.Failures,
            DnsLastFailure = Dns.LastFailure,
        };
    }

    private static long Milliseconds(TimeSpan span) => (long)WaitTime.Bounded(span).TotalMilliseconds;
}
