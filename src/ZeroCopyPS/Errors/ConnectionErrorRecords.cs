using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>Turns a failed connection's statistics into the non-terminating error a user can filter by id.</summary>
internal static class ConnectionErrorRecords
{
    /// <summary>True for the close reasons that are failures (timeouts and stops are policy, not failure).</summary>
    public static bool IsFailure(CloseReason reason) =>
        reason is CloseReason.ConnectFailed or CloseReason.Reset or CloseReason.Error or CloseReason.ProxyLoop;

    /// <summary>The error for a connection that failed, or null for one that ended normally.</summary>
    public static ErrorRecord? TryCreate(ConnectionStatistics statistics)
    {
        if (!IsFailure(statistics.CloseReason)) return null;
        string detail = string.IsNullOrEmpty(statistics.Error) ? "no further detail from the engine" : statistics.Error!;
        string connection = $"Connection {statistics.ConnectionId} from {statistics.ClientEndPoint} on proxy '{statistics.ProxyName}'";
        (string id, ErrorCategory category, string message) = statistics.CloseReason switch
        {
            CloseReason.ConnectFailed => (ErrorIds.TargetConnectFailed, ErrorCategory.ConnectionError,
                $"{connection} was closed because the target did not accept it: {detail}"),
            CloseReason.Reset => (ErrorIds.ConnectionReset, ErrorCategory.ConnectionError,
                $"{connection} to '{statistics.TargetEndPoint}' was reset after {statistics.BytesClientToTarget} bytes to the target " +
                $"and {statistics.BytesTargetToClient} bytes to the client: {detail}"),
            CloseReason.ProxyLoop => (ErrorIds.ProxyLoopDetected, ErrorCategory.InvalidOperation,
                $"{connection} was reset: {detail}. Check that no proxy's -Target leads back to a proxy listener."),
            _ => (ErrorIds.ConnectionError, ErrorCategory.NotSpecified,
                $"{connection} to '{statistics.TargetEndPoint}' failed: {detail}"),
        };
        return ErrorRecords.Create(new IOException(message), id, category, statistics);
    }

    /// <summary>The one record that explains why a proxy stopped serving (an event loop failed).</summary>
    public static ErrorRecord EngineFaulted(Exception error, string proxyName, object target) =>
        ErrorRecords.Create(error, ErrorIds.ProxyEngineFaulted, ErrorCategory.NotSpecified, target,
            $"Proxy '{proxyName}' stopped serving: {error.Message}");
}
