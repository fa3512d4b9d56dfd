namespace ZeroCopyPS.Engine.Logging;

/// <summary>
/// A <see cref="ConnectionStatistics"/> as one JSON object: the one place where statistics become
/// machine-readable text (the access log writes it; a cmdlet's ConvertTo-Json-friendly form can reuse
/// it). Every statistics field, plus the time the connection closed and the process id; enums as names
/// (<see cref="ConnectionRecordJsonContext"/>), times as ISO 8601 UTC, durations in milliseconds
/// (docs/ARCHITECTURE.md, "Access log").
/// </summary>
public sealed record ConnectionRecord
{
    /// <summary>When the connection closed (UTC): its start plus its duration.</summary>
    public required DateTime Time { get; init; }
    public required string ProxyName { get; init; }
    public required int ProcessId { get; init; }
    public required long ConnectionId { get; init; }
    public required string ClientEndPoint { get; init; }

    /// <summary>With AcceptProxyProtocol: the load balancer that connected, while ClientEndPoint is the client its header named; null otherwise.</summary>
    public string? LoadBalancerEndPoint { get; init; }

    /// <summary>The target chosen, as configured (several targets: which one); null when none was chosen.</summary>
    public string? Target { get; init; }
    public required string ListenEndPoint { get; init; }
    public required string TargetEndPoint { get; init; }

    /// <summary>When the connection was accepted (UTC).</summary>
    public required DateTime StartTime { get; init; }
    public required double DurationMs { get; init; }
    public required double ConnectTimeMs { get; init; }
    public required int ConnectAttempts { get; init; }
    public required long BytesClientToTarget { get; init; }
    public required long BytesTargetToClient { get; init; }
    public required long BytesSpliced { get; init; }
    public required long BytesCopied { get; init; }
    public required long BytesLostClientToTarget { get; init; }
    public required long BytesLostTargetToClient { get; init; }
    public required long BytesLost { get; init; }
    public required long TotalBytes { get; init; }
    public required CopyMode CopyModeRequested { get; init; }
    public required CopyPath CopyPathUsed { get; init; }
    public required FallbackReason FallbackReason { get; init; }
    public required CloseReason CloseReason { get; init; }
    public required string? Error { get; init; }

    /// <summary>The names of the injected faults that touched the connection; empty when none did.</summary>
    public required IReadOnlyList<string> Faults { get; init; }

    /// <summary>The record of one closed connection, for this process.</summary>
    public static ConnectionRecord From(ConnectionStatistics s) => new()
    {
        Time = (s.StartTime + s.Duration).UtcDateTime,
        ProxyName = s.ProxyName,
        ProcessId = Environment.ProcessId,
        ConnectionId = s.ConnectionId,
        ClientEndPoint = s.ClientEndPoint,
        LoadBalancerEndPoint = s.LoadBalancerEndPoint,
        Target = s.Target,
        ListenEndPoint = s.ListenEndPoint,
        TargetEndPoint = s.TargetEndPoint,
        StartTime = s.StartTime.UtcDateTime,
        DurationMs = s.Duration.TotalMilliseconds,
        ConnectTimeMs = s.ConnectTime.TotalMilliseconds,
        ConnectAttempts = s.ConnectAttempts,
        BytesClientToTarget = s.BytesClientToTarget,
        BytesTargetToClient = s.BytesTargetToClient,
        BytesSpliced = s.BytesSpliced,
        BytesCopied = s.BytesCopied,
        BytesLostClientToTarget = s.BytesLostClientToTarget,
        BytesLostTargetToClient = s.BytesLostTargetToClient,
        BytesLost = s.BytesLost,
        TotalBytes = s.TotalBytes,
        CopyModeRequested = s.CopyModeRequested,
        CopyPathUsed = s.CopyPathUsed,
        FallbackReason = s.FallbackReason,
        CloseReason = s.CloseReason,
        Error = s.Error,
        Faults = s.Faults,
    };

    /// <summary>The statistics as one line of JSON (no newline).</summary>
    public static string ToJson(ConnectionStatistics statistics) =>
        System.Text.Json.JsonSerializer.Serialize(From(statistics), ConnectionRecordJsonContext.Default.ConnectionRecord);
}
