using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Turns denied connections (CloseReason Denied) into ClientDenied error records, at most one per
/// <see cref="IntervalMs"/>: a port scan from a denied range must not flood the job's Error stream or push the
/// real failures out of its history. Each record says how many denials were held back since the one before;
/// every denial still has its statistics record on Output, and Get-ZeroCopyProxy counts them all
/// (DeniedConnections). Used by one consumer at a time (the job's delivery lock), so it takes no lock itself.
/// </summary>
internal sealed class DenialRecordLimiter
{
    public const int IntervalMs = 1000;

    private DateTimeOffset _last = DateTimeOffset.MinValue;
    private long _heldBack;

    /// <summary>The record for this denial, or null when one was written less than an interval ago (the denial is counted).</summary>
    public ErrorRecord? Next(ConnectionStatistics statistics, DateTimeOffset now)
    {
        if (now - _last < TimeSpan.FromMilliseconds(IntervalMs))
        {
            _heldBack++;
            return null;
        }
        _last = now;
        long heldBack = _heldBack;
        _heldBack = 0;
        string more = heldBack == 0 ? ""
            : $" {heldBack.ToString(CultureInfo.InvariantCulture)} more denied connection(s) since the previous record were not written (at most one record per {IntervalMs / 1000.0:0.#} s).";
        string message = $"Connection {statistics.ConnectionId} from {statistics.ClientEndPoint} on proxy '{statistics.ProxyName}' was refused " +
            $"by the client rules (-AllowClient, -DenyClient) and reset.{more}";
        return ErrorRecords.Create(new UnauthorizedAccessException(message), ErrorIds.ClientDenied, ErrorCategory.PermissionDenied, statistics);
    }
}
