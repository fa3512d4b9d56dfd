namespace ZeroCopyPS.Engine;

/// <summary>A live snapshot of one open connection (counts so far), taken without pausing the engine.</summary>
public sealed record ConnectionInfo
{
    public required string ProxyName { get; init; }
    public required long ConnectionId { get; init; }
    public required string ClientEndPoint { get; init; }
    public required string? TargetEndPoint { get; init; }
    public required DateTimeOffset StartTime { get; init; }
    public required TimeSpan Age { get; init; }
    public required long BytesClientToTarget { get; init; }
    public required long BytesTargetToClient { get; init; }
    public required CopyPath CopyPath { get; init; }
    public required ConnectionState State { get; init; }

    /// <summary>The names of the injected faults touching this connection now.</summary>
    public IReadOnlyList<string> Faults { get; init; } = [];
}
