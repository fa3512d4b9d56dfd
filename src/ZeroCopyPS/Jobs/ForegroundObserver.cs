using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Hands engine callbacks to the cmdlet thread for Start-ZeroCopyProxy -Wait. Engine threads only enqueue
/// (<see cref="ConnectionHandOff"/>: no lock, never blocks); a thread-pool delivery wakes the pipeline thread.
/// Past the limit the oldest waiting statistics are dropped and counted, so a stalled pipeline cannot make the
/// proxy grow without bound; an engine fault is never dropped. Target state changes (rare: a target's health
/// flips at most once per failed-connect run or health check) wait in a queue of their own, bounded the same way.
/// </summary>
internal sealed class ForegroundObserver : IProxyObserver, IDisposable
{
    private readonly ConnectionHandOff _handOff;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Action<ConnectionStatistics> _countDropped;
    private readonly System.Collections.Concurrent.ConcurrentQueue<TargetStateChange> _changes = new();
    private readonly int _changesLimit;
    private Exception? _fault;
    private long _dropped;
    private bool _faultTaken;

    public ForegroundObserver(int limit)
    {
        // The hand-off is the whole backlog here, so the limit bounds it; capped at 65536 because its slots are
        // allocated up front (16 bytes each), and a pipeline that far behind is only losing more records.
        _handOff = new ConnectionHandOff(Math.Min(limit, 1 << 16), Wake);
        _countDropped = _ => Interlocked.Increment(ref _dropped);
        _changesLimit = limit;
    }

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void OnConnectionClosed(ConnectionStatistics statistics) => _handOff.Add(statistics, _countDropped);

    public void OnEngineFaulted(Exception error)
    {
        Interlocked.CompareExchange(ref _fault, error, null);
        _handOff.Schedule();
    }

    public void OnTargetStateChanged(TargetStateChange change)
    {
        if (_changes.Count >= _changesLimit) return;
        _changes.Enqueue(change);
        _handOff.Schedule();
    }

    /// <summary>The next target state change (as a ZeroCopyTargetStateChange), statistics object or engine fault; false once the token is cancelled.</summary>
    public bool TryTake(out object? item, CancellationToken cancellation)
    {
        while (true)
        {
            if (_changes.TryDequeue(out TargetStateChange? change))
            {
                item = new ZeroCopyTargetStateChange(change);
                return true;
            }
            if (_handOff.TryTake(out ConnectionStatistics? statistics))
            {
                item = statistics;
                return true;
            }
            if (!_faultTaken && Volatile.Read(ref _fault) is { } fault)
            {
                _faultTaken = true;
                item = fault;
                return true;
            }
            try
            {
                _wake.Wait(cancellation);
            }
            catch (OperationCanceledException)
            {
                item = null;
                return false;
            }
        }
    }

    public void Dispose() => _wake.Dispose();

    // Thread pool: the only place a lock (the semaphore's) is taken on the engine's behalf.
    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (ObjectDisposedException)
        {
            // The cmdlet finished while a late connection closed; nobody is left to read it.
        }
    }
}
