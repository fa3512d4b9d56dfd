using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>Turns a failed connection's statistics into the non-terminating error a user can filter by id.</summary>
internal static class ConnectionErrorRecords
{
    public const string TargetConnectFailed = "TargetConnectFailed";
    public const string ConnectionReset = "ConnectionReset";
    public const string ConnectionError = "ConnectionError";
    public const string ProxyLoopDetected = "ProxyLoopDetected";

    /// <summary>The error for a connection that failed, or null for one that ended normally (timeouts and stops are policy, not failure).</summary>
    public static ErrorRecord? TryCreate(ConnectionStatistics statistics)
    {
        string detail = string.IsNullOrEmpty(statistics.Error) ? "no further detail from the engine" : statistics.Error!;
        string connection = $"Connection {statistics.ConnectionId} from {statistics.ClientEndPoint} on proxy '{statistics.ProxyName}'";
        (string id, ErrorCategory category, string message) = statistics.CloseReason switch
        {
            CloseReason.ConnectFailed => (TargetConnectFailed, ErrorCategory.ConnectionError,
                $"{connection} was closed because the target did not accept it: {detail}"),
            CloseReason.Reset => (ConnectionReset, ErrorCategory.ConnectionError,
                $"{connection} to '{statistics.TargetEndPoint}' was reset after {statistics.BytesClientToTarget} bytes to the target " +
                $"and {statistics.BytesTargetToClient} bytes to the client: {detail}"),
            CloseReason.Error => (ConnectionError, ErrorCategory.NotSpecified,
                $"{connection} to '{statistics.TargetEndPoint}' failed: {detail}"),
            CloseReason.ProxyLoop => (ProxyLoopDetected, ErrorCategory.InvalidOperation,
                $"{connection} was reset: {detail}. Check that no proxy's -Target leads back to a proxy listener."),
            _ => (null!, default, null!),
        };
        if (id is null) return null;
        return new ErrorRecord(new IOException(message), id, category, statistics);
    }
}
