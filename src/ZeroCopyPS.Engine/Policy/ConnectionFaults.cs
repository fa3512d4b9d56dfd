namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The injected faults of one connection (docs/ARCHITECTURE.md, "Fault injection"), the same for both
/// engines: whether each fault touches it (<see cref="ProxyFault.Probability"/>, drawn once per connection
/// and fault name and remembered, so looking again after a change gives the same answer), the gate of each
/// direction, and the names of the faults that touched it. An engine asks <see cref="IsStale"/> (one int
/// compare) before each run and calls <see cref="Refresh"/> when the proxy's set changed. Thread-safe
/// (the managed engine refreshes from its copy tasks and from the thread that changed the set); a gate is
/// changed under its own lock, which the managed engine also holds while it asks the gate.
/// </summary>
internal sealed class ConnectionFaults
{
    private readonly FaultSet _set;
    private readonly object _lock = new();
    private readonly long _connectionId;
    private Random? _random;
    private Dictionary<string, bool>? _draws;
    private List<string>? _touched;
    private int _seenVersion = -1;

    public ConnectionFaults(FaultSet set, long connectionId)
    {
        _set = set;
        _connectionId = connectionId;
    }

    // Made at the first fault, so a proxy without faults spends nothing on it; seeded per connection, so
    // connections accepted together still draw independently.
    private Random Random => _random ??= new Random(HashCode.Combine(_connectionId, Environment.TickCount64, System.Random.Shared.Next()));

    /// <summary>The gate of client → target, once a fault applied to it (kept while none does: its counts go on).</summary>
    public DirectionFaults? ClientToTarget { get; private set; }

    public DirectionFaults? TargetToClient { get; private set; }

    /// <summary>True when the proxy's faults changed since the last <see cref="Refresh"/>.</summary>
    public bool IsStale => _set.Version != Volatile.Read(ref _seenVersion);

    /// <summary>Reads the proxy's faults again and hands each direction those that apply to it and were drawn.</summary>
    public void Refresh(long nowMs)
    {
        lock (_lock)
        {
            // Version first: a change in between leaves this stale, so it is looked at again.
            int version = _set.Version;
            if (version == _seenVersion) return;
            ProxyFault[] current = _set.Current;
            List<ProxyFault>? up = null, down = null;
            foreach (ProxyFault fault in current)
            {
                if (!Drawn(fault)) continue;
                if (fault.AppliesTo(clientToTarget: true)) (up ??= new()).Add(fault);
                if (fault.AppliesTo(clientToTarget: false)) (down ??= new()).Add(fault);
                _touched ??= new();
                if (!_touched.Contains(fault.Name, StringComparer.OrdinalIgnoreCase)) _touched.Add(fault.Name);
            }
            if (up is not null) ClientToTarget ??= new DirectionFaults(clientToTarget: true, Random.Next());
            if (down is not null) TargetToClient ??= new DirectionFaults(clientToTarget: false, Random.Next());
            // A gate is locked while it changes: the managed engine's copy tasks use it under the same lock.
            if (ClientToTarget is { } c2t) lock (c2t) c2t.SetFaults(up?.ToArray() ?? [], nowMs);
            if (TargetToClient is { } t2c) lock (t2c) t2c.SetFaults(down?.ToArray() ?? [], nowMs);
            Volatile.Write(ref _seenVersion, version);
        }
    }

    private bool Drawn(ProxyFault fault)
    {
        _draws ??= new(StringComparer.OrdinalIgnoreCase);
        if (!_draws.TryGetValue(fault.Name, out bool yes))
            _draws[fault.Name] = yes = fault.Probability >= 1 || (fault.Probability > 0 && Random.NextDouble() < fault.Probability);
        return yes;
    }

    /// <summary>The names of the faults that touched this connection so far, in the order they first did.</summary>
    public IReadOnlyList<string> Touched
    {
        get
        {
            lock (_lock) return _touched is null ? [] : _touched.ToArray();
        }
    }
}
