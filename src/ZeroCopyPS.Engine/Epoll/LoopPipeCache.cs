using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's pipes, a stack per size class: rented when a direction has data, returned when it is empty,
/// so idle connections hold none. Returned pipes are kept; those that stay idle for a whole trim interval
/// are closed (<see cref="IdleTrim"/>, per class), so a busy loop rents without making pipes and a quiet one
/// does not hoard them. A pipe that may still hold bytes is closed, never pooled: the next renter would send
/// someone else's data (docs/ARCHITECTURE.md, invariant 3). Loop thread only, except the counts, which any
/// thread may read for a status.
/// </summary>
internal sealed class LoopPipeCache
{
    private readonly PipePool _pool;
    private readonly Stack<SplicePipe>[] _idle;
    private readonly int[] _inUse;
    private readonly int[] _idleCount;
    private readonly IdleTrim[] _trim;
    private bool _disposed;

    public LoopPipeCache(PipePool pool)
    {
        _pool = pool;
        int classes = pool.Classes.Count;
        _idle = new Stack<SplicePipe>[classes];
        for (int i = 0; i < classes; i++) _idle[i] = new Stack<SplicePipe>();
        _inUse = new int[classes];
        _idleCount = new int[classes];
        _trim = new IdleTrim[classes];
    }

    public PipePool Pool => _pool;

    /// <summary>The largest size class; a direction whose pipe is of it has nothing left to grow to.</summary>
    public int TopClass => _idle.Length - 1;

    public int InUse => Sum(_inUse);

    public int Idle => Sum(_idleCount);

    public int InUseOf(int sizeClass) => Volatile.Read(ref _inUse[sizeClass]);

    public int IdleOf(int sizeClass) => Volatile.Read(ref _idleCount[sizeClass]);

    /// <summary>
    /// A clean pipe, idle before new: of <paramref name="sizeClass"/>, else an idle one of another class (larger
    /// first; the renter grows a smaller one in place), else a new one of the class or, when the budget has no
    /// room for it, of a smaller class; else null with the reason to copy through a buffer. Taking any idle pipe
    /// before making one keeps a steady load from making pipes while others of another size sit idle.
    /// </summary>
    public SplicePipe? TryRent(int sizeClass, out FallbackReason reason)
    {
        reason = FallbackReason.PipeBudgetExhausted;
        if (_disposed) return null;
        sizeClass = Math.Min(sizeClass, TopClass);
        if (_idle[sizeClass].Count > 0) return Lend(TakeIdle(sizeClass));
        _trim[sizeClass].Observe(0);
        for (int c = sizeClass + 1; c <= TopClass; c++)
            if (_idle[c].Count > 0) return Lend(TakeIdle(c));
        for (int c = sizeClass - 1; c >= 0; c--)
            if (_idle[c].Count > 0) return Lend(TakeIdle(c));
        for (int c = sizeClass; c >= 0; c--)
        {
            SplicePipe? made = _pool.TryCreate(c, out reason);
            if (made is not null) return Lend(made);
            if (reason != FallbackReason.PipeBudgetExhausted) return null;
        }
        return null;
    }

    /// <summary>Grows a rented, empty pipe one class (<see cref="PipePool.TryGrow"/>), keeping the counts by class true.</summary>
    public PipeGrowth TryGrow(SplicePipe pipe)
    {
        int before = pipe.SizeClass;
        PipeGrowth growth = _pool.TryGrow(pipe);
        if (pipe.SizeClass != before)
        {
            Volatile.Write(ref _inUse[before], _inUse[before] - 1);
            Volatile.Write(ref _inUse[pipe.SizeClass], _inUse[pipe.SizeClass] + 1);
        }
        return growth;
    }

    public void Return(SplicePipe pipe, bool mayHoldBytes)
    {
        int c = pipe.SizeClass;
        Volatile.Write(ref _inUse[c], _inUse[c] - 1);
        if (!mayHoldBytes && !_disposed)
        {
            _idle[c].Push(pipe);
            Volatile.Write(ref _idleCount[c], _idle[c].Count);
            return;
        }
        _pool.Destroy(pipe);
    }

    /// <summary>Loop thread, every trim interval: closes the pipes of each class that stayed idle all interval (they count against the budget).</summary>
    public void Trim()
    {
        for (int c = 0; c < _idle.Length; c++)
        {
            for (int surplus = _trim[c].TakeSurplus(_idle[c].Count); surplus > 0 && _idle[c].Count > 0; surplus--) _pool.Destroy(_idle[c].Pop());
            Volatile.Write(ref _idleCount[c], _idle[c].Count);
        }
    }

    /// <summary>Closes the idle pipes; pipes still rented are destroyed as they come back. After the loop ended.</summary>
    public void Dispose()
    {
        _disposed = true;
        for (int c = 0; c < _idle.Length; c++)
        {
            while (_idle[c].Count > 0) _pool.Destroy(_idle[c].Pop());
            Volatile.Write(ref _idleCount[c], 0);
        }
    }

    private SplicePipe TakeIdle(int c)
    {
        SplicePipe pipe = _idle[c].Pop();
        Volatile.Write(ref _idleCount[c], _idle[c].Count);
        _trim[c].Observe(_idle[c].Count);
        return pipe;
    }

    private SplicePipe Lend(SplicePipe pipe)
    {
        Volatile.Write(ref _inUse[pipe.SizeClass], _inUse[pipe.SizeClass] + 1);
        return pipe;
    }

    private static int Sum(int[] counts)
    {
        int total = 0;
        for (int i = 0; i < counts.Length; i++) total += Volatile.Read(ref counts[i]);
        return total;
    }
}
