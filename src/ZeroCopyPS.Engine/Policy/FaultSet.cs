namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// A proxy's active faults (docs/ARCHITECTURE.md, "Fault injection"): an immutable array replaced whole on
/// every change, so the engines read it without a lock, and a version that tells a connection its faults
/// must be looked at again. <see cref="Changed"/> lets an engine wake its open connections at once.
/// </summary>
internal sealed class FaultSet
{
    private readonly object _changeLock = new();
    private readonly string _proxyName;
    private ProxyFault[] _faults = [];
    private int _version;

    public FaultSet(string proxyName, IReadOnlyList<ProxyFault> initial)
    {
        _proxyName = proxyName;
        foreach (ProxyFault fault in initial) Add(fault);
    }

    /// <summary>Raised after every add or remove, on the caller's thread.</summary>
    public event Action? Changed;

    public ProxyFault[] Current => Volatile.Read(ref _faults);

    /// <summary>Goes up by one with every change.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>Adds a validated fault; throws <see cref="ArgumentException"/> for a bad one or a name in use.</summary>
    public ProxyFault Add(ProxyFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        fault.Validate();
        ProxyFault added = fault with { ProxyName = _proxyName };
        lock (_changeLock)
        {
            if (_faults.Any(f => string.Equals(f.Name, fault.Name, StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"The proxy '{_proxyName}' already has a fault named '{fault.Name}'.", nameof(ProxyFault.Name));
            if (_faults.Length >= ProxyOptionLimits.FaultsMaximum)
                throw new ArgumentException($"The proxy '{_proxyName}' already has {ProxyOptionLimits.FaultsMaximum} faults, the most it takes.", nameof(ProxyOptions.Faults));
            Volatile.Write(ref _faults, [.. _faults, added]);
            Interlocked.Increment(ref _version);
        }
        Changed?.Invoke();
        return added;
    }

    /// <summary>Removes the fault of that name (case-insensitive); false when there is none.</summary>
    public bool Remove(string name)
    {
        lock (_changeLock)
        {
            ProxyFault[] kept = _faults.Where(f => !string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (kept.Length == _faults.Length) return false;
            Volatile.Write(ref _faults, kept);
            Interlocked.Increment(ref _version);
        }
        Changed?.Invoke();
        return true;
    }
}
