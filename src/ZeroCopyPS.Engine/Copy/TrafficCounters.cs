namespace ZeroCopyPS.Engine.Copy;

/// <summary>
/// Live byte counters of one event loop. Written only by that loop's thread with plain adds (no
/// interlocked traffic between loops on the copy path); read by any thread for snapshots, where a
/// 64-bit read is atomic on the 64-bit platforms this engine runs on.
/// </summary>
internal sealed class TrafficCounters
{
    public long BytesClientToTarget;
    public long BytesTargetToClient;
    public long BytesSpliced;
    public long BytesCopied;
    public long SpliceFallbacks;

    /// <summary>splice, read and write calls made by the relays, EAGAIN included: the cost side of the comparison.</summary>
    public long Syscalls;
}
