namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The bytes a direction under a fault has read and not yet written (docs/ARCHITECTURE.md, "Fault
/// injection"): chunks, one per read, each with the time it may leave, in order. Small reads share a
/// buffer (a 64-byte message does not hold a 64 KiB buffer to itself); a buffer goes back to its pool when
/// its last chunk is written. Bounded: at <see cref="DirectionFaults.QueueBytesMaximum"/> of buffers held the
/// direction stops reading. Buffers come from the engine's pool (the loop's, or the shared array pool).
/// One direction's thread only.
/// </summary>
internal sealed class FaultChunkQueue(Func<byte[]> rent, Action<byte[]> giveBack)
{
    // Below this much room left in the last buffer, a read takes a fresh one.
    private const int SmallestReadBytes = 1024;

    // A ring of chunks, so the first one can be written part by part in place.
    private Chunk[] _ring = new Chunk[16];
    private int _head;
    private int _count;
    private byte[]? _pending;

    private struct Chunk
    {
        public byte[] Buffer;
        public int Start;
        public int End;
        public long ReleaseMs;
    }

    /// <summary>Bytes read and not yet written.</summary>
    public long QueuedBytes { get; private set; }

    /// <summary>Buffer bytes held (what bounds memory).</summary>
    public long HeldBytes { get; private set; }

    public bool IsEmpty => QueuedBytes == 0;

    /// <summary>True when no read may be queued now: the buffers held reached the bound and the last has no room.</summary>
    public bool IsFull => HeldBytes >= DirectionFaults.QueueBytesMaximum && TailRoom < SmallestReadBytes;

    private ref Chunk Tail => ref _ring[(_head + _count - 1) % _ring.Length];

    private int TailRoom => _count == 0 ? 0 : Tail.Buffer.Length - Tail.End;

    /// <summary>Where the next read goes: the room after the last chunk, or a fresh buffer.</summary>
    public (byte[] Buffer, int Offset, int Count) ReadTarget()
    {
        if (_count > 0 && TailRoom >= SmallestReadBytes) return (Tail.Buffer, Tail.End, TailRoom);
        byte[] fresh = _pending ??= rent();
        return (fresh, 0, fresh.Length);
    }

    /// <summary><paramref name="count"/> bytes were read into the last <see cref="ReadTarget"/>; they may leave at <paramref name="releaseMs"/>.</summary>
    public void Add(int count, long releaseMs)
    {
        Chunk chunk;
        if (_pending is { } fresh)
        {
            chunk = new Chunk { Buffer = fresh, Start = 0, End = count, ReleaseMs = releaseMs };
            HeldBytes += fresh.Length;
            _pending = null;
        }
        else chunk = new Chunk { Buffer = Tail.Buffer, Start = Tail.End, End = Tail.End + count, ReleaseMs = releaseMs };
        if (_count == _ring.Length)
        {
            var larger = new Chunk[_ring.Length * 2];
            for (int i = 0; i < _count; i++) larger[i] = _ring[(_head + i) % _ring.Length];
            _ring = larger;
            _head = 0;
        }
        _ring[(_head + _count) % _ring.Length] = chunk;
        _count++;
        QueuedBytes += count;
    }

    /// <summary>A fresh buffer from <see cref="ReadTarget"/> that got no byte (EOF, EAGAIN, error) goes back.</summary>
    public void Unused()
    {
        if (_pending is null) return;
        giveBack(_pending);
        _pending = null;
    }

    /// <summary>The first chunk's bytes and release time; false when empty.</summary>
    public bool TryPeek(out byte[] buffer, out int offset, out int count, out long releaseMs)
    {
        if (_count == 0)
        {
            (buffer, offset, count, releaseMs) = (null!, 0, 0, 0);
            return false;
        }
        ref Chunk head = ref _ring[_head];
        (buffer, offset, count, releaseMs) = (head.Buffer, head.Start, head.End - head.Start, head.ReleaseMs);
        return true;
    }

    /// <summary><paramref name="count"/> bytes of the first chunk were written; its buffer goes back with its last chunk.</summary>
    public void Consume(int count)
    {
        ref Chunk head = ref _ring[_head];
        head.Start += count;
        QueuedBytes -= count;
        if (head.Start < head.End) return;
        byte[] buffer = head.Buffer;
        head = default;
        _head = (_head + 1) % _ring.Length;
        _count--;
        if (_count > 0 && ReferenceEquals(_ring[_head].Buffer, buffer)) return;
        HeldBytes -= buffer.Length;
        giveBack(buffer);
    }

    /// <summary>Gives every buffer back (an abort); returns the bytes that were queued.</summary>
    public long Clear()
    {
        long lost = QueuedBytes;
        Unused();
        byte[]? last = null;
        for (; _count > 0; _count--)
        {
            byte[] buffer = _ring[_head].Buffer;
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            if (!ReferenceEquals(buffer, last)) giveBack(buffer);
            last = buffer;
        }
        _head = 0;
        QueuedBytes = HeldBytes = 0;
        return lost;
    }
}
