namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// Deadlines of connections as a binary min-heap that knows each item's index: scheduling, moving and
/// cancelling are O(log n), and a round costs nothing when nothing is due, so timers cost in proportion
/// to what expires, not to how many connections are open (docs/ARCHITECTURE.md, "Timers"). Each
/// connection holds at most one entry: its earliest deadline. Activity does not touch the heap; the
/// connection re-arms itself when an entry fires early (lazy timers, as HAProxy and nginx keep them).
/// Not thread-safe: one loop thread, or a caller's lock.
/// </summary>
internal sealed class TimerQueue<T> where T : class, ITimed
{
    private T[] _heap = new T[64];
    private int _count;

    public int Count => _count;

    /// <summary>The earliest deadline, or long.MaxValue when empty.</summary>
    public long NextDeadlineMs => _count == 0 ? long.MaxValue : _heap[0].DeadlineMs;

    /// <summary>Queues <paramref name="item"/> at <paramref name="deadlineMs"/>, or moves it there if already queued.</summary>
    public void Schedule(T item, long deadlineMs)
    {
        if (item.TimerIndex >= 0)
        {
            long old = item.DeadlineMs;
            item.DeadlineMs = deadlineMs;
            if (deadlineMs < old) Up(item.TimerIndex);
            else if (deadlineMs > old) Down(item.TimerIndex);
            return;
        }
        if (_count == _heap.Length) Array.Resize(ref _heap, _heap.Length * 2);
        item.DeadlineMs = deadlineMs;
        item.TimerIndex = _count;
        _heap[_count++] = item;
        Up(item.TimerIndex);
    }

    /// <summary>Removes <paramref name="item"/> if queued.</summary>
    public void Cancel(T item)
    {
        int index = item.TimerIndex;
        if (index < 0) return;
        item.TimerIndex = -1;
        _count--;
        if (index == _count)
        {
            _heap[_count] = null!;
            return;
        }
        T last = _heap[_count];
        _heap[_count] = null!;
        _heap[index] = last;
        last.TimerIndex = index;
        Up(index);
        Down(last.TimerIndex);
    }

    /// <summary>Removes and returns the earliest item if it is due at <paramref name="nowMs"/>.</summary>
    public bool TryDequeueDue(long nowMs, out T item)
    {
        if (_count == 0 || _heap[0].DeadlineMs > nowMs)
        {
            item = null!;
            return false;
        }
        item = _heap[0];
        Cancel(item);
        return true;
    }

    /// <summary>Every queued item, in no particular order (a stop aborts them all).</summary>
    public T[] ToArray() => _heap.AsSpan(0, _count).ToArray();

    private void Up(int index)
    {
        T item = _heap[index];
        while (index > 0)
        {
            int parent = (index - 1) / 2;
            T above = _heap[parent];
            if (above.DeadlineMs <= item.DeadlineMs) break;
            _heap[index] = above;
            above.TimerIndex = index;
            index = parent;
        }
        _heap[index] = item;
        item.TimerIndex = index;
    }

    private void Down(int index)
    {
        T item = _heap[index];
        while (true)
        {
            int child = 2 * index + 1;
            if (child >= _count) break;
            if (child + 1 < _count && _heap[child + 1].DeadlineMs < _heap[child].DeadlineMs) child++;
            T below = _heap[child];
            if (item.DeadlineMs <= below.DeadlineMs) break;
            _heap[index] = below;
            below.TimerIndex = index;
            index = child;
        }
        _heap[index] = item;
        item.TimerIndex = index;
    }
}
