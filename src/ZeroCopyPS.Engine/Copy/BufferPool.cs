namespace ZeroCopyPS.Engine.Copy;

/// <summary>
/// Pinned user-space buffers for the buffered copy, rented while a direction holds data and returned
/// when it is empty, so an idle connection holds none. Idle buffers kept are capped so a burst of
/// traffic does not leave memory behind.
/// </summary>
internal sealed class BufferPool
{
    private readonly Stack<byte[]> _idle = new();
    private readonly object _lock = new();
    private readonly int _maxIdle;

    public BufferPool(int bufferSizeBytes, int maxIdle)
    {
        BufferSizeBytes = bufferSizeBytes;
        _maxIdle = maxIdle;
    }

    public int BufferSizeBytes { get; }

    public byte[] Rent()
    {
        lock (_lock)
        {
            if (_idle.Count > 0) return _idle.Pop();
        }
        // Pinned on the POH: the syscalls take its address and it must never move.
        return GC.AllocateUninitializedArray<byte>(BufferSizeBytes, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        lock (_lock)
        {
            if (_idle.Count < _maxIdle) _idle.Push(buffer);
        }
    }
}
