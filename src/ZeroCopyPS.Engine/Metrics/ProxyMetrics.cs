using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Metrics;

/// <summary>
/// One proxy's figures for the <c>ZeroCopyPS</c> meter (docs/ARCHITECTURE.md, "Metrics"). Closed
/// connections are counted once, when their statistics are published (a handful of interlocked adds per
/// connection, nothing per chunk); live figures (open connections, pipes, bytes of open connections) are
/// read from the engine's status only when a metrics reader asks. Thread-safe.
/// </summary>
internal sealed class ProxyMetrics
{
    private static readonly int ReasonSlots = Enum.GetValues<CloseReason>().Max(r => (int)r) + 1;
    private static readonly int FallbackSlots = Enum.GetValues<FallbackReason>().Max(r => (int)r) + 1;

    private readonly long[] _closed = new long[ReasonSlots];
    private readonly long[] _fallbacks = new long[FallbackSlots];
    private long _deliveredClientToTarget;
    private long _deliveredTargetToClient;
    private long _spliced;
    private long _copied;
    private long _lostClientToTarget;
    private long _lostTargetToClient;
    private long _connectAttempts;
    private long _faults;
    private long _faulted;
    private volatile Func<ProxyStatus>? _status;

    public ProxyMetrics(string name)
    {
        Name = name;
        Tag = new KeyValuePair<string, object?>(ZeroCopyMeter.ProxyTag, name);
    }

    public string Name { get; }

    /// <summary>The proxy=NAME tag every measurement carries.</summary>
    public KeyValuePair<string, object?> Tag { get; }

    public long Closed(CloseReason reason) => Interlocked.Read(ref _closed[(int)reason]);

    public long Fallbacks(FallbackReason reason) => Interlocked.Read(ref _fallbacks[(int)reason]);

    public long DeliveredClientToTarget => Interlocked.Read(ref _deliveredClientToTarget);

    public long DeliveredTargetToClient => Interlocked.Read(ref _deliveredTargetToClient);

    public long Spliced => Interlocked.Read(ref _spliced);

    public long Copied => Interlocked.Read(ref _copied);

    public long LostClientToTarget => Interlocked.Read(ref _lostClientToTarget);

    public long LostTargetToClient => Interlocked.Read(ref _lostTargetToClient);

    public long ConnectAttempts => Interlocked.Read(ref _connectAttempts);

    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Closed connections an injected fault touched (docs/ARCHITECTURE.md, "Fault injection").</summary>
    public long Faulted => Interlocked.Read(ref _faulted);

    /// <summary>The engine's live status, or null once the proxy stopped.</summary>
    public ProxyStatus? LiveStatus()
    {
        try { return _status?.Invoke(); }
        catch (Exception) { return null; } // a proxy stopping under a metrics read: no live figures this time
    }

    /// <summary>Publishing thread (a loop thread): a connection's statistics are final.</summary>
    public void OnClosed(ConnectionStatistics s)
    {
        Interlocked.Increment(ref _closed[(int)s.CloseReason]);
        if (s.FallbackReason != FallbackReason.None) Interlocked.Increment(ref _fallbacks[(int)s.FallbackReason]);
        Interlocked.Add(ref _deliveredClientToTarget, s.BytesClientToTarget);
        Interlocked.Add(ref _deliveredTargetToClient, s.BytesTargetToClient);
        Interlocked.Add(ref _spliced, s.BytesSpliced);
        Interlocked.Add(ref _copied, s.BytesCopied);
        Interlocked.Add(ref _lostClientToTarget, s.BytesLostClientToTarget);
        Interlocked.Add(ref _lostTargetToClient, s.BytesLostTargetToClient);
        Interlocked.Add(ref _connectAttempts, s.ConnectAttempts);
        if (s.Faults.Count > 0) Interlocked.Increment(ref _faulted);
        // Histograms cost nothing while no listener (an endpoint, dotnet-counters, OpenTelemetry) is attached.
        if (s.ConnectTime > TimeSpan.Zero) ZeroCopyMeter.ConnectTime.Record(s.ConnectTime.TotalSeconds, Tag);
        ZeroCopyMeter.Duration.Record(s.Duration.TotalSeconds, Tag);
    }

    public void OnFault() => Interlocked.Increment(ref _faults);

    /// <summary>The proxy serves: its figures are reported from now on, live ones read through <paramref name="status"/>.</summary>
    public void Attach(Func<ProxyStatus> status)
    {
        _status = status;
        ZeroCopyMeter.Attach(this);
    }

    /// <summary>The proxy stopped: its series leave the meter (a restarted proxy counts from zero, as a restarted process would).</summary>
    public void Detach()
    {
        _status = null;
        ZeroCopyMeter.Detach(this);
    }
}
