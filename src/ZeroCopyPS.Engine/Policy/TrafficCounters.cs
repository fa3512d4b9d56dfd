namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// Live byte counters of one event loop, written only by that loop's thread with plain adds (no
/// interlocked traffic between loops on the copy path), or of the managed engine, written with
/// <see cref="AddCopied"/>. Read by any thread for snapshots, where a 64-bit read is atomic on the
/// 64-bit platforms this engine runs on.
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

    /// <summary>Any thread: counts bytes copied through a buffer (the managed engine's copy tasks share one instance).</summary>
    public void AddCopied(bool clientToTarget, long bytes)
    {
        Interlocked.Add(ref BytesCopied, bytes);
        if (clientToTarget) Interlocked.Add(ref BytesClientToTarget, bytes);
        else Interlocked.Add(ref BytesTargetToClient, bytes);
    }

    /// <summary>
    /// Any thread: bytes a socket took that an abortive close then discarded from its send queue, so that a
    /// proxy's totals count delivered bytes as its statistics records do (docs/ARCHITECTURE.md, "Exact accounting").
    /// </summary>
    public void AddDiscarded(long clientToTarget, long targetToClient, long spliced, long copied)
    {
        if (clientToTarget != 0) Interlocked.Add(ref BytesClientToTarget, clientToTarget);
        if (targetToClient != 0) Interlocked.Add(ref BytesTargetToClient, targetToClient);
        if (spliced != 0) Interlocked.Add(ref BytesSpliced, spliced);
        if (copied != 0) Interlocked.Add(ref BytesCopied, copied);
    }
}
