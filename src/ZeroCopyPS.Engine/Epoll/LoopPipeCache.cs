using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's pipes: rented when a direction has data, returned when it is empty, so idle connections
/// hold none. Returned pipes are kept; those that stay idle for a whole trim interval are closed
/// (<see cref="IdleTrim"/>), so a busy loop rents without making pipes and a quiet one does not hoard them. A
/// pipe that may still hold bytes is closed, never pooled: the next renter would send someone else's
/// data (docs/ARCHITECTURE.md, invariant 3). Loop thread only, except <see cref="InUse"/> and
/// <see cref="Idle"/>, which any thread may read for a status.
/// </summary>
internal sealed class LoopPipeCache
{
    private readonly PipePool _pool;
    private readonly Stack<SplicePipe> _idle = new();
    private int _inUse;
    private int _idleCount;
    private IdleTrim _trim;
    private bool _disposed;

    public LoopPipeCache(PipePool pool) => _pool = pool;

    public PipePool Pool => _pool;

    public int InUse => Volatile.Read(ref _inUse);

    public int Idle => Volatile.Read(ref _idleCount);

    /// <summary>A clean pipe, or null with the reason to fall back to a buffered copy.</summary>
    public SplicePipe? TryRent(out FallbackReason reason)
    {
        reason = FallbackReason.None;
        SplicePipe? pipe = _idle.Count > 0 ? _idle.Pop() : _disposed ? null : _pool.TryCreate(out reason);
        if (_disposed && pipe is null) reason = FallbackReason.PipeBudgetExhausted;
        if (pipe is null) return null;
        Volatile.Write(ref _idleCount, _idle.Count);
        Volatile.Write(ref _inUse, _inUse + 1);
        _trim.Observe(_idle.Count);
        return pipe;
    }

    public void Return(SplicePipe pipe, bool mayHoldBytes)
    {
        Volatile.Write(ref _inUse, _inUse - 1);
        if (!mayHoldBytes && !_disposed)
        {
            _idle.Push(pipe);
            Volatile.Write(ref _idleCount, _idle.Count);
            return;
        }
        _pool.Destroy(pipe);
    }

    /// <summary>Loop thread, every trim interval: closes the pipes that stayed idle all interval (they count against MaxPipes).</summary>
    public void Trim()
    {
        for (int surplus = _trim.TakeSurplus(_idle.Count); surplus > 0 && _idle.Count > 0; surplus--) _pool.Destroy(_idle.Pop());
        Volatile.Write(ref _idleCount, _idle.Count);
    }

    /// <summary>Closes the idle pipes; pipes still rented are destroyed as they come back. After the loop ended.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.Count > 0) _pool.Destroy(_idle.Pop());
        Volatile.Write(ref _idleCount, 0);
    }
}
