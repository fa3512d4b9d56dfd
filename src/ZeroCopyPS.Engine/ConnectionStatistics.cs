
namespace ZeroCopyPS.Engine;

/// <summary>
/// What one proxied connection did, written once when it closes. Byte counts come from the
/// return values of the syscalls that delivered them to the receiving peer.
/// </summary>
public sealed class ConnectionStatistics
{
    internal ConnectionStatistics(
        string proxyName, long connectionId, string clientEndPoint, string? loadBalancerEndPoint, string listenEndPoint,
        string? target, string targetEndPoint,
        DateTimeOffset startTime, TimeSpan duration, TimeSpan connectTime,
        long bytesClientToTarget, long bytesTargetToClient, long bytesSpliced, long bytesCopied,
        long bytesLostClientToTarget, long bytesLostTargetToClient, int connectAttempts,
        CopyMode copyModeRequested, CopyPath copyPathUsed, FallbackReason fallbackReason,
        CloseReason closeReason, string? error)
    {
        ProxyName = proxyName;
        ConnectionId = connectionId;
        ClientEndPoint = clientEndPoint;
        LoadBalancerEndPoint = loadBalancerEndPoint;
        ListenEndPoint = listenEndPoint;
        Target = target;
        TargetEndPoint = targetEndPoint;
        StartTime = startTime;
        Duration = duration;
        ConnectTime = connectTime;
        BytesClientToTarget = bytesClientToTarget;
        BytesTargetToClient = bytesTargetToClient;
        BytesSpliced = bytesSpliced;
        BytesCopied = bytesCopied;
        BytesLostClientToTarget = bytesLostClientToTarget;
        BytesLostTargetToClient = bytesLostTargetToClient;
        ConnectAttempts = connectAttempts;
        CopyModeRequested = copyModeRequested;
        CopyPathUsed = copyPathUsed;
        FallbackReason = fallbackReason;
        CloseReason = closeReason;
        Error = error;
    }

    /// <summary>Name of the proxy that carried the connection.</summary>
    public string ProxyName { get; }

    /// <summary>Sequence number of the connection within its proxy, from 1.</summary>
    public long ConnectionId { get; }

    /// <summary>The client's address as the listener saw it, or as its PROXY header named it (for Unix sockets, the listening path).</summary>
    public string ClientEndPoint { get; }

    /// <summary>
    /// With -AcceptProxyProtocol: the address that really connected (the load balancer), while
    /// <see cref="ClientEndPoint"/> is the client its PROXY header named. Null otherwise.
    /// </summary>
    public string? LoadBalancerEndPoint { get; }

    /// <summary>The target chosen for the connection, as configured (the last one tried when none answered); null when none was chosen.</summary>
    public string? Target { get; }

    /// <summary>The local endpoint that accepted the connection.</summary>
    public string ListenEndPoint { get; }

    /// <summary>The target address the proxy connected to, or the target as configured when no address answered.</summary>
    public string TargetEndPoint { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset StartTime { get; }

    /// <summary>From accept to close.</summary>
    public TimeSpan Duration { get; }

    /// <summary>From accept until the target connection was established (DNS included).</summary>
    public TimeSpan ConnectTime { get; }

    /// <summary>Target connect attempts made (several addresses, retries of a Unix target with a full backlog); 0 when none was made.</summary>
    public int ConnectAttempts { get; }

    /// <summary>Bytes delivered to the target: accepted by the target's kernel.</summary>
    public long BytesClientToTarget { get; }

    /// <summary>Bytes delivered to the client: accepted by the client's kernel.</summary>
    public long BytesTargetToClient { get; }

    /// <summary>Of the delivered bytes, those moved by splice(2) without entering user space.</summary>
    public long BytesSpliced { get; }

    /// <summary>Of the delivered bytes, those moved through a user-space buffer.</summary>
    public long BytesCopied { get; }

    /// <summary>
    /// Bytes read from the client that the target will never get because the connection was aborted:
    /// in the proxy's pipe or buffer, or still in its send queue to the target when it was reset.
    /// Bytes read from the client = BytesClientToTarget + BytesLostClientToTarget.
    /// </summary>
    public long BytesLostClientToTarget { get; }

    /// <summary>Bytes read from the target that the client will never get (see <see cref="BytesLostClientToTarget"/>).</summary>
    public long BytesLostTargetToClient { get; }

    /// <summary>Bytes lost in both directions.</summary>
    public long BytesLost => BytesLostClientToTarget + BytesLostTargetToClient;

    /// <summary>The copy mode the proxy was configured with.</summary>
    public CopyMode CopyModeRequested { get; }

    /// <summary>What actually moved the bytes of this connection.</summary>
    public CopyPath CopyPathUsed { get; }

    /// <summary>Why splice was not used where it was wanted, or None.</summary>
    public FallbackReason FallbackReason { get; }

    /// <summary>Why the connection ended.</summary>
    public CloseReason CloseReason { get; }

    /// <summary>The error that ended the connection (with the failing call and errno), or null.</summary>
    public string? Error { get; }

    /// <summary>The names of the injected faults that touched this connection (docs/ARCHITECTURE.md, "Fault injection"); empty when none did.</summary>
    public IReadOnlyList<string> Faults { get; internal init; } = [];

    /// <summary>Bytes in both directions.</summary>
    public long TotalBytes => BytesClientToTarget + BytesTargetToClient;

    /// <summary>What the connection did, in one line ("$record" in PowerShell, logs): the same text in every culture.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{ProxyName} #{ConnectionId} {ClientEndPoint} -> {TargetEndPoint}: {BytesClientToTarget} B to target, {BytesTargetToClient} B to client, {CopyPathUsed}, {CloseReason}");
}
