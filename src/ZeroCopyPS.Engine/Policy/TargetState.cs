namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// One target at run time: its DNS, its counters and its health. Passive health: connects that fail
/// <c>HealthFailureThreshold</c> times in a row mark it down for <c>HealthCoolDown</c>; after the
/// cool-down the next connection may try it again (one success brings it up, one failure sends it
/// back down). The active check, when configured, reports through <see cref="OnCheck"/>. Thread-safe;
/// health changes are reported through the callback the pool gives.
/// </summary>
internal sealed class TargetState
{
    private readonly object _lock = new();
    private readonly Action<TargetState, TargetHealth, string> _changed;
    private long _active;
    private long _total;
    private long _failures;
    private int _consecutiveFailures;
    private TargetHealth _health = TargetHealth.Up;
    private long _retryAtMs;
    private string? _reason;

    public TargetState(ProxyTarget target, TimeSpan dnsCacheDuration, Action<TargetState, TargetHealth, string> changed)
    {
        Target = target;
        Dns = new TargetDns(target.Endpoint, dnsCacheDuration);
        _changed = changed;
    }

    public ProxyTarget Target { get; }

    public TargetDns Dns { get; }

    /// <summary>Smooth weighted round robin's running weight; the pool changes it under its own lock.</summary>
    public int CurrentWeight { get; set; }

    public long Active => Interlocked.Read(ref _active);

    public TargetHealth Health
    {
        get { lock (_lock) return _health; }
    }

    /// <summary>May a new connection go here now: up, or down with its cool-down over (one trial).</summary>
    public bool IsEligible(long nowMs)
    {
        lock (_lock) return _health == TargetHealth.Up || nowMs >= _retryAtMs;
    }

    public void OnConnected()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _total);
        MarkUp("a connection to it succeeded");
    }

    public void OnClosed() => Interlocked.Decrement(ref _active);

    public void OnConnectFailed(string why, int threshold, long coolDownMs)
    {
        Interlocked.Increment(ref _failures);
        Fail(why, threshold, coolDownMs);
    }

    /// <summary>The active health check's verdict.</summary>
    public void OnCheck(bool answered, string why, int threshold, long coolDownMs)
    {
        if (answered) MarkUp("its health check connected");
        else Fail(why, threshold, coolDownMs);
    }

    public TargetStatus Snapshot()
    {
        lock (_lock)
        {
            return new TargetStatus
            {
                Endpoint = Target.Endpoint.Text,
                Weight = Target.Weight,
                Backup = Target.Backup,
                Health = _health,
                Reason = _reason,
                ActiveConnections = Active,
                TotalConnections = Interlocked.Read(ref _total),
                ConnectFailures = Interlocked.Read(ref _failures),
            };
        }
    }

    private void Fail(string why, int threshold, long coolDownMs)
    {
        bool wentDown;
        lock (_lock)
        {
            _consecutiveFailures++;
            wentDown = _health == TargetHealth.Up && _consecutiveFailures >= threshold;
            if (_health == TargetHealth.Down || wentDown)
            {
                _health = TargetHealth.Down;
                _retryAtMs = Environment.TickCount64 + coolDownMs;
                if (wentDown) _reason = $"{_consecutiveFailures} connects in a row failed; last: {why}";
            }
        }
        if (wentDown) _changed(this, TargetHealth.Down, _reason!);
    }

    private void MarkUp(string why)
    {
        bool cameUp;
        lock (_lock)
        {
            _consecutiveFailures = 0;
            cameUp = _health == TargetHealth.Down;
            if (cameUp)
            {
                _health = TargetHealth.Up;
                _reason = why;
            }
        }
        if (cameUp) _changed(this, TargetHealth.Up, why);
    }
}
