using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// One target of a proxy as Get-ZeroCopyProxy reports it (its Targets property): health, role and counters.
/// Carries the proxy's name so that the targets of several proxies can be listed in one table.
/// </summary>
public sealed class ZeroCopyTargetStatus
{
    internal ZeroCopyTargetStatus(string proxyName, TargetStatus status)
    {
        ProxyName = proxyName;
        Endpoint = status.Endpoint;
        Health = status.Health;
        Reason = status.Reason;
        Weight = status.Weight;
        Backup = status.Backup;
        ActiveConnections = status.ActiveConnections;
        TotalConnections = status.TotalConnections;
        Failures = status.ConnectFailures;
    }

    public string ProxyName { get; }

    /// <summary>The target as configured.</summary>
    public string Endpoint { get; }

    /// <summary>Up (takes connections) or Down (skipped until its cool-down ends or a health check brings it back).</summary>
    public TargetHealth Health { get; }

    /// <summary>Why the target is in its state, or null when nothing has happened to it yet.</summary>
    public string? Reason { get; }

    /// <summary>Relative share of new connections.</summary>
    public int Weight { get; }

    /// <summary>Takes traffic only while every primary target is down.</summary>
    public bool Backup { get; }

    /// <summary>Connections to this target open now.</summary>
    public long ActiveConnections { get; }

    /// <summary>Connections made to this target since it was added.</summary>
    public long TotalConnections { get; }

    /// <summary>Connects to this target that failed (every address), since it was added.</summary>
    public long Failures { get; }

    public override string ToString() => Endpoint;
}
