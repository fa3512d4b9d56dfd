namespace ZeroCopyPS.Engine;

/// <summary>One target of a proxy: where to connect, its share of the traffic, and whether it only stands by.</summary>
public sealed class ProxyTarget
{
    public ProxyTarget(ProxyEndpoint endpoint, int weight = 1, bool backup = false)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (weight < ProxyOptionLimits.TargetWeightMinimum || weight > ProxyOptionLimits.TargetWeightMaximum)
            throw new ArgumentOutOfRangeException(nameof(weight), weight,
                $"A target's weight must be between {ProxyOptionLimits.TargetWeightMinimum} and {ProxyOptionLimits.TargetWeightMaximum}.");
        Endpoint = endpoint;
        Weight = weight;
        Backup = backup;
    }

    public ProxyEndpoint Endpoint { get; }

    /// <summary>Relative share of new connections (RoundRobin, LeastConnections, SourceHash).</summary>
    public int Weight { get; }

    /// <summary>Takes traffic only while every primary target is down.</summary>
    public bool Backup { get; }

    public override string ToString() => Endpoint.Text;
}
