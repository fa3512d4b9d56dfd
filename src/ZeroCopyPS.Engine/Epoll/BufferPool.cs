namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's pinned user-space buffers for the buffered copy, rented while a direction holds data and
/// returned when it is empty, so an idle connection holds none. Idle buffers are kept up to the number
/// in use (at least a few): with hundreds of slow readers holding buffers, every returned buffer finds
/// a renter again and the steady-state copy path allocates nothing, while a quiet loop keeps few.
/// Loop thread only (one pool per loop, so no lock).
/// </summary>
internal sealed class BufferPool
{
    private const int MinimumIdle = 4;

    private readonly Stack<byte[]> _idle = new();
    private int _inUse;

    public BufferPool(int bufferSizeBytes) => BufferSizeBytes = bufferSizeBytes;

    public int BufferSizeBytes { get; }

    public byte[] Rent()
    {
        _inUse++;
        // Pinned on the POH: the syscalls take its address and it must never move.
        return _idle.Count > 0 ? _idle.Pop() : GC.AllocateUninitializedArray<byte>(BufferSizeBytes, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        _inUse--;
        if (_idle.Count < Math.Max(MinimumIdle, _inUse)) _idle.Push(buffer);
    }
}
