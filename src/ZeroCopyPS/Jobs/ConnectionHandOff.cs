using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Carries closed connections from the engine's loop threads to one consumer. A loop thread only enqueues
/// (<see cref="BoundedHandOff{T}"/>, compare-and-swap, no lock) and, when no delivery is pending, queues one
/// thread-pool work item that runs <c>deliver</c>; everything that takes a lock (PowerShell's streams, error
/// records, events) happens there. At most <c>limit</c> items wait: past it the oldest waiting one is dropped
/// and counted, so a stalled consumer bounds memory. See docs/ARCHITECTURE.md, "Publishing statistics".
/// </summary>
internal sealed class ConnectionHandOff : IThreadPoolWorkItem
{
    /// <summary>
    /// What a job's hand-off holds at most: it only absorbs what closes between two deliveries (the history itself
    /// is bounded by the job's streams, per stream), so it drops only when the thread pool cannot run the
    /// delivery for 4096 closes in a row.
    /// </summary>
    public const int JobCapacity = 4096;

    private readonly BoundedHandOff<ConnectionStatistics> _queue;
    private readonly int _limit;
    private readonly Action _deliver;
    private int _scheduled;

    public ConnectionHandOff(int limit, Action deliver)
    {
        _limit = Math.Max(1, limit);
        _queue = new BoundedHandOff<ConnectionStatistics>(_limit);
        _deliver = deliver;
    }

    public int Waiting => _queue.Count;

    /// <summary>
    /// Engine thread: never blocks. Each item dropped to stay within the limit (the oldest waiting, or this one
    /// when the queue stays full) goes to <paramref name="dropped"/>, for the caller to count.
    /// </summary>
    public void Add(ConnectionStatistics statistics, Action<ConnectionStatistics> dropped)
    {
        // Bounded retries: a producer mid-way through the head slot makes TryDequeue fail for a moment; rather
        // than spin, the new item is the one dropped then.
        for (int attempt = 0; ; attempt++)
        {
            if (_queue.Count < _limit && _queue.TryEnqueue(statistics)) break;
            if (_queue.TryDequeue(out ConnectionStatistics? oldest))
            {
                dropped(oldest!);
            }
            else if (attempt >= 2)
            {
                dropped(statistics);
                break;
            }
        }
        Schedule();
    }

    /// <summary>Asks for one more delivery (also used for things other than statistics, such as an engine fault).</summary>
    public void Schedule()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Consumer: the oldest waiting item, if one is ready.</summary>
    public bool TryTake(out ConnectionStatistics? statistics) => _queue.TryDequeue(out statistics);

    void IThreadPoolWorkItem.Execute()
    {
        while (true)
        {
            _deliver();
            Volatile.Write(ref _scheduled, 0);
            // An item stored after the last TryTake whose producer found a delivery still scheduled would wait
            // for the next close; take the run back instead. A producer still storing its item schedules itself.
            if (!_queue.HasReadyItem || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0) return;
        }
    }
}
