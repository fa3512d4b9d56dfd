namespace ZeroCopyPS;

/// <summary>
/// A bounded multi-producer, multi-consumer queue without locks (Dmitry Vyukov's design): every slot carries a
/// sequence number, and producers and consumers claim positions with one compare-and-swap each. Engine loop
/// threads enqueue closed connections here; nothing they do can wait on a lock another loop holds, and the
/// queue allocates nothing after construction. See docs/ARCHITECTURE.md, "Publishing statistics".
/// </summary>
internal sealed class BoundedHandOff<T> where T : class
{
    private readonly Slot[] _slots;
    private readonly long _mask;
    private long _enqueuePosition;
    private long _dequeuePosition;

    public BoundedHandOff(int capacity)
    {
        int size = 2;
        while (size < capacity) size <<= 1;
        _slots = new Slot[size];
        _mask = size - 1;
        for (int i = 0; i < size; i++) _slots[i].Sequence = i;
    }

    public int Capacity => _slots.Length;

    /// <summary>False when the queue is full.</summary>
    public bool TryEnqueue(T item)
    {
        long position = Volatile.Read(ref _enqueuePosition);
        while (true)
        {
            ref Slot slot = ref _slots[position & _mask];
            long difference = Volatile.Read(ref slot.Sequence) - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueuePosition, position + 1, position);
                if (seen == position)
                {
                    slot.Item = item;
                    Volatile.Write(ref slot.Sequence, position + 1);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition);
            }
        }
    }

    /// <summary>
    /// False when no item is ready: the queue is empty, or the oldest slot is claimed by a producer that has not
    /// stored its item yet (that producer schedules the consumer again once it has).
    /// </summary>
    public bool TryDequeue(out T? item)
    {
        long position = Volatile.Read(ref _dequeuePosition);
        while (true)
        {
            ref Slot slot = ref _slots[position & _mask];
            long difference = Volatile.Read(ref slot.Sequence) - (position + 1);
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _dequeuePosition, position + 1, position);
                if (seen == position)
                {
                    item = slot.Item;
                    slot.Item = null;
                    Volatile.Write(ref slot.Sequence, position + _mask + 1);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                item = null;
                return false;
            }
            else
            {
                position = Volatile.Read(ref _dequeuePosition);
            }
        }
    }

    /// <summary>True when the oldest item is stored and can be dequeued now.</summary>
    public bool HasReadyItem
    {
        get
        {
            long position = Volatile.Read(ref _dequeuePosition);
            return Volatile.Read(ref _slots[position & _mask].Sequence) == position + 1;
        }
    }

    /// <summary>Items enqueued and not yet dequeued (a snapshot; producers and consumers may be mid-way).</summary>
    public int Count => (int)Math.Max(0, Volatile.Read(ref _enqueuePosition) - Volatile.Read(ref _dequeuePosition));

    private struct Slot
    {
        public long Sequence;
        public T? Item;
    }
}
