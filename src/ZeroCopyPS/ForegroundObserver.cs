using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Hands engine callbacks to the cmdlet thread for Start-ZeroCopyProxy -Wait. The engine thread
/// only enqueues (never blocks). Past the limit new statistics are dropped and counted, so a stalled
/// pipeline cannot make the proxy grow without bound; an engine fault is never dropped.
/// </summary>
internal sealed class ForegroundObserver : IProxyObserver, IDisposable
{
    private readonly Queue<object> _queue = new();
    private readonly SemaphoreSlim _available = new(0);
    private readonly int _limit;
    private long _dropped;

    public ForegroundObserver(int limit) => _limit = limit;

    public long DroppedCount => Interlocked.Read(ref _dropped);

    public void OnConnectionClosed(ConnectionStatistics statistics) => Enqueue(statistics, droppable: true);

    public void OnEngineFaulted(Exception error) => Enqueue(error, droppable: false);

    /// <summary>Waits for the next statistics object or engine fault; false once the token is cancelled.</summary>
    public bool TryTake(out object? item, CancellationToken cancellation)
    {
        item = null;
        try
        {
            _available.Wait(cancellation);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        // Every Release matches one Enqueue, so the queue holds an item here.
        lock (_queue) item = _queue.Dequeue();
        return true;
    }

    public void Dispose() => _available.Dispose();

    private void Enqueue(object item, bool droppable)
    {
        lock (_queue)
        {
            if (droppable && _queue.Count >= _limit)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            _queue.Enqueue(item);
        }

        try
        {
            _available.Release();
        }
        catch (ObjectDisposedException)
        {
            // The cmdlet finished while a late connection closed; nobody is left to read it.
        }
    }
}
