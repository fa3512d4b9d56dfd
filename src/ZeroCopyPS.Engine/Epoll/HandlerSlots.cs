namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// An event loop's registration slots. epoll's u64 carries (generation &lt;&lt; 32 | slot), so an event
/// still queued for a descriptor that was closed and whose slot was reused in the same batch is
/// recognised by its generation and dropped. Slot 0 is the loop's wake-up eventfd. Loop thread only.
/// </summary>
internal sealed class HandlerSlots
{
    private IEventHandler?[] _handlers = new IEventHandler?[64];
    private int[] _tags = new int[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _free = new();
    private int _next = 1;

    /// <summary>A slot for <paramref name="handler"/>; its event data is <see cref="EventData"/>.</summary>
    public int Take(IEventHandler handler, int tag)
    {
        int slot = _free.Count > 0 ? _free.Pop() : _next++;
        if (slot >= _handlers.Length)
        {
            Array.Resize(ref _handlers, _handlers.Length * 2);
            Array.Resize(ref _tags, _tags.Length * 2);
            Array.Resize(ref _generations, _generations.Length * 2);
        }
        _handlers[slot] = handler;
        _tags[slot] = tag;
        return slot;
    }

    /// <summary>Frees the slot; events already fetched for it no longer match its generation.</summary>
    public void Release(int slot)
    {
        _handlers[slot] = null;
        _generations[slot]++;
        _free.Push(slot);
    }

    /// <summary>What epoll carries for <paramref name="slot"/>.</summary>
    public ulong EventData(int slot) => ((ulong)_generations[slot] << 32) | (uint)slot;

    /// <summary>The handler and tag an event's data names, or null when the slot was freed or reused since.</summary>
    public IEventHandler? Find(ulong data, out int tag)
    {
        int slot = (int)(data & 0xFFFF_FFFF);
        IEventHandler? handler = _handlers[slot];
        tag = _tags[slot];
        return handler is not null && _generations[slot] == (uint)(data >> 32) ? handler : null;
    }
}
