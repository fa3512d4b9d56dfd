namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One loop's pinned user-space buffers for the buffered copy, rented while a direction holds data and
/// returned when it is empty, so an idle connection holds none. Returned buffers are kept; those that
/// stay idle for a whole trim interval are let go (<see cref="IdleTrim"/>): with hundreds of slow
/// readers every returned buffer finds a renter again and the steady-state copy path allocates
/// nothing, while a quiet loop keeps few.
/// Loop thread only (one pool per loop, so no lock).
/// </summary>
internal sealed class BufferPool
{
    private readonly Stack<byte[]> _idle = new();
    private IdleTrim _trim;

    public BufferPool(int bufferSizeBytes) => BufferSizeBytes = bufferSizeBytes;

    public int BufferSizeBytes { get; }

    public byte[] Rent()
    {
        // Pinned on the POH: the syscalls take its address and it must never move.
        byte[] buffer = _idle.Count > 0 ? _idle.Pop() : GC.AllocateUninitializedArray<byte>(BufferSizeBytes, pinned: true);
        _trim.Observe(_idle.Count);
        return buffer;
    }

    public void Return(byte[] buffer) => _idle.Push(buffer);

    /// <summary>Loop thread, every trim interval: lets go of the buffers that stayed idle all interval.</summary>
    public void Trim()
    {
        for (int surplus = _trim.TakeSurplus(_idle.Count); surplus > 0 && _idle.Count > 0; surplus--) _idle.Pop();
    }
}
