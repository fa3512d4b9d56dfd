namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// A proxy's connection counters, the same for both engines: open, total, and closed by reason.
/// Byte counters live per event loop (see TrafficCounters) and are summed only for a status.
/// </summary>
internal sealed class ProxyCounters
{
    private static readonly int ReasonCount = Enum.GetValues<CloseReason>().Length;

    private readonly long[] _closedByReason = new long[ReasonCount];
    private long _active;
    private long _total;
    private long _closed;
    private long _refused;

    /// <summary>Slots taken under MaxConnections: open connections plus admissions waiting for an accept.</summary>
    public long Active => Math.Max(0, Interlocked.Read(ref _active));

    /// <summary>
    /// Connections accepted and not yet closed, what a status reports. Not <see cref="Active"/>: an engine
    /// takes its slot before accepting (the managed engine holds one for as long as it waits in
    /// AcceptAsync), and a slot nobody was accepted into is not a connection.
    /// </summary>
    public long Open => Math.Max(0, Interlocked.Read(ref _total) - Interlocked.Read(ref _closed));

    public long Total => Interlocked.Read(ref _total);

    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Counts a connection against <paramref name="limit"/>; false (and nothing counted) at the limit.</summary>
    public bool TryOpen(int limit)
    {
        if (Interlocked.Increment(ref _active) <= limit) return true;
        Interlocked.Decrement(ref _active);
        return false;
    }

    /// <summary>Gives back a slot taken by <see cref="TryOpen"/> that no connection used.</summary>
    public void Unopen() => Interlocked.Decrement(ref _active);

    /// <summary>A connection was accepted: its sequence number.</summary>
    public long NextId() => Interlocked.Increment(ref _total);

    /// <summary>
    /// A connection closed: counted by reason and no longer <see cref="Open"/>. Its slot under MaxConnections
    /// is freed apart (<see cref="FreeSlot"/>), after the observer has its record, so a drain never ends
    /// before the last record is out.
    /// </summary>
    public void CountClosed(CloseReason reason)
    {
        Interlocked.Increment(ref _closedByReason[(int)reason]);
        Interlocked.Increment(ref _closed);
    }

    /// <summary>Frees a closed connection's slot; returns how many slots are still taken.</summary>
    public long FreeSlot() => Interlocked.Decrement(ref _active);

    public void CountRefused() => Interlocked.Increment(ref _refused);

    public long ClosedWith(CloseReason reason) => Interlocked.Read(ref _closedByReason[(int)reason]);

    /// <summary>Connections that ended in a failure: target unreachable, reset, engine error, proxy loop, bad PROXY header.</summary>
    public long Failed =>
        ClosedWith(CloseReason.ConnectFailed) + ClosedWith(CloseReason.Reset) + ClosedWith(CloseReason.Error) + ClosedWith(CloseReason.ProxyLoop)
        + ClosedWith(CloseReason.BadProxyHeader);
}
