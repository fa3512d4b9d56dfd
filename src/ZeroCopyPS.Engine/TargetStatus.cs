namespace ZeroCopyPS.Engine;

/// <summary>A live snapshot of one target of a proxy.</summary>
public sealed record TargetStatus
{
    public required string Endpoint { get; init; }
    public required int Weight { get; init; }
    public required bool Backup { get; init; }
    public required TargetHealth Health { get; init; }

    /// <summary>Why the target is in its state (the failure that marked it down, or what brought it back).</summary>
    public required string? Reason { get; init; }

    public required long ActiveConnections { get; init; }
    public required long TotalConnections { get; init; }

    /// <summary>Connects to this target that failed (all its addresses), since start.</summary>
    public required long ConnectFailures { get; init; }
}
