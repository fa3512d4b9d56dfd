namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// Which idle items (pipes, buffers) of one loop's pool may go: those that stayed idle for a whole
/// trim interval, the low-water mark of the idle count. A pool that keeps what came back serves a
/// steady but uneven load without ever making a new item (no allocation on the steady-state copy
/// path), and still gives back, interval by interval, what a burst left behind. Loop thread only.
/// </summary>
internal struct IdleTrim
{
    /// <summary>Idle items a pool keeps whatever the traffic, so light traffic does not churn them.</summary>
    public const int Floor = 2;

    private int _lowWater;
    private bool _observed;

    /// <summary>The pool's idle count just changed (or was looked at).</summary>
    public void Observe(int idle)
    {
        if (!_observed || idle < _lowWater) _lowWater = idle;
        _observed = true;
    }

    /// <summary>At the end of an interval: how many of the <paramref name="idleNow"/> items to free; starts the next interval.</summary>
    public int TakeSurplus(int idleNow)
    {
        int unused = _observed ? Math.Min(_lowWater, idleNow) : idleNow;
        _lowWater = idleNow;
        _observed = true;
        return Math.Max(0, unused - Floor);
    }
}
