using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Copy;

/// <summary>
/// The global pipe budget (HAProxy's maxpipes): pipes in use plus pipes idle never exceed
/// <see cref="MaxPipes"/>. A direction rents a pipe when it has data to move and returns it as soon as
/// the pipe is empty, so idle connections hold none. Shared by every event loop, hence the lock; it is
/// taken once per burst of data, not per chunk.
/// </summary>
internal sealed class PipePool : IDisposable
{
    private readonly Stack<SplicePipe> _idle = new();
    private readonly object _lock = new();
    private readonly int _requestedSizeBytes;
    private readonly int _maxIdle;
    private int _inUse;
    private int _capacityBytes;
    private bool _disposed;

    public PipePool(int maxPipes, int requestedSizeBytes)
    {
        MaxPipes = maxPipes;
        _requestedSizeBytes = requestedSizeBytes;
        _maxIdle = Math.Min(maxPipes, 128);
    }

    public int MaxPipes { get; }

    public int InUse => Volatile.Read(ref _inUse);

    public int Idle
    {
        get { lock (_lock) return _idle.Count; }
    }

    /// <summary>Effective capacity of the pipes made so far; 0 before the first.</summary>
    public int CapacityBytes => Volatile.Read(ref _capacityBytes);

    /// <summary>A clean pipe, or null with the reason to fall back to a buffered copy.</summary>
    public SplicePipe? TryRent(out FallbackReason reason)
    {
        lock (_lock)
        {
            if (_idle.Count > 0)
            {
                _inUse++;
                reason = FallbackReason.None;
                return _idle.Pop();
            }
            if (_disposed || _inUse >= MaxPipes)
            {
                reason = FallbackReason.PipeBudgetExhausted;
                return null;
            }
            _inUse++;
        }

        if (!Proxy.DescriptorBudget.TryReserve(Proxy.DescriptorBudget.PerPipe))
        {
            lock (_lock) _inUse--;
            reason = FallbackReason.DescriptorLimit;
            return null;
        }
        SplicePipe? pipe = SplicePipe.TryCreate(_requestedSizeBytes, out _);
        if (pipe is null)
        {
            Proxy.DescriptorBudget.Release(Proxy.DescriptorBudget.PerPipe);
            lock (_lock) _inUse--;
            reason = FallbackReason.PipeCreationFailed;
            return null;
        }
        Volatile.Write(ref _capacityBytes, pipe.CapacityBytes);
        reason = FallbackReason.None;
        return pipe;
    }

    /// <summary>
    /// Gives a pipe back. A pipe that may still hold bytes (an aborted transfer) is closed, never
    /// pooled: the next renter would send someone else's data (DESIGN §3.4).
    /// </summary>
    public void Return(SplicePipe pipe, bool mayHoldBytes)
    {
        lock (_lock)
        {
            _inUse--;
            if (!mayHoldBytes && !_disposed && _idle.Count < _maxIdle)
            {
                _idle.Push(pipe);
                return;
            }
        }
        Destroy(pipe);
    }

    private static void Destroy(SplicePipe pipe)
    {
        pipe.Dispose();
        Proxy.DescriptorBudget.Release(Proxy.DescriptorBudget.PerPipe);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_idle.Count > 0) Destroy(_idle.Pop());
        }
    }
}
