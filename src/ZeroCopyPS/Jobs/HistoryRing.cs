using System.Collections;

namespace ZeroCopyPS;

/// <summary>
/// The storage of a job's Output and Error streams: a circular buffer that grows by doubling up to its limit.
/// Adding at the end and removing the first item (what Receive-Job's ReadAll does, item by item) are O(1),
/// where a List would move every item each time; adding to a full ring first drops the oldest, also in O(1),
/// and counts it. Not thread-safe: PSDataCollection calls it under its own lock, which makes "drop the oldest,
/// then add" one step for readers. Only the operations at the ends are fast; the rest are O(n).
/// </summary>
internal sealed class HistoryRing<T> : IList<T>
{
    private readonly int _limit;
    private T[] _items = new T[16];
    private int _head;

    public HistoryRing(int limit) => _limit = limit;

    /// <summary>Items dropped, oldest first, to stay within the limit. Read under the owner's lock, or as a snapshot.</summary>
    public long Dropped { get; private set; }

    /// <summary>While true, an add never drops (set by the owner, under its lock, for a record that must not be lost).</summary>
    public bool KeepAll { get; set; }

    public int Count { get; private set; }

    public bool IsReadOnly => false;

    public T this[int index]
    {
        get => _items[Slot(CheckIndex(index))];
        set => _items[Slot(CheckIndex(index))] = value;
    }

    public void Add(T item)
    {
        while (!KeepAll && Count > 0 && Count >= _limit)
        {
            RemoveAt(0);
            Dropped++;
        }
        if (Count == _items.Length) Grow();
        _items[Slot(Count)] = item;
        Count++;
    }

    /// <summary>Appends (PSDataCollection adds at index Count); the history never inserts in the middle.</summary>
    public void Insert(int index, T item)
    {
        if (index != Count) throw new NotSupportedException("A proxy job's history only appends.");
        Add(item);
    }

    public void RemoveAt(int index)
    {
        CheckIndex(index);
        if (index == 0)
        {
            _items[_head] = default!;
            _head = (_head + 1) % _items.Length;
            Count--;
            return;
        }
        for (int i = index; i < Count - 1; i++) _items[Slot(i)] = _items[Slot(i + 1)];
        _items[Slot(Count - 1)] = default!;
        Count--;
    }

    public bool Remove(T item)
    {
        int index = IndexOf(item);
        if (index < 0) return false;
        RemoveAt(index);
        return true;
    }

    public void Clear()
    {
        Array.Clear(_items);
        _head = 0;
        Count = 0;
    }

    public int IndexOf(T item)
    {
        for (int i = 0; i < Count; i++)
            if (EqualityComparer<T>.Default.Equals(_items[Slot(i)], item)) return i;
        return -1;
    }

    public bool Contains(T item) => IndexOf(item) >= 0;

    public void CopyTo(T[] array, int arrayIndex)
    {
        for (int i = 0; i < Count; i++) array[arrayIndex + i] = _items[Slot(i)];
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (int i = 0; i < Count; i++) yield return _items[Slot(i)];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private int Slot(int index) => (_head + index) % _items.Length;

    private int CheckIndex(int index) =>
        (uint)index < (uint)Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"The history holds {Count} items.");

    private void Grow()
    {
        var larger = new T[_items.Length * 2];
        CopyTo(larger, 0);
        _items = larger;
        _head = 0;
    }
}
