using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The ConnectionStatistics members ZeroCopyPS.types.ps1xml adds for ConvertTo-Json and Export-Csv: durations
/// as milliseconds (a TimeSpan becomes a 12-field object in JSON) and the start time in ISO 8601 UTC (Export-Csv
/// writes dates in the current culture). The typed Duration, ConnectTime and StartTime stay as they are.
/// Public because ETS CodeProperty calls need a public static method.
/// </summary>
public static class StatisticsMembers
{
    /// <summary>Duration in milliseconds, to the microsecond.</summary>
    public static double DurationMs(PSObject instance) => Milliseconds(Of(instance).Duration);

    /// <summary>ConnectTime in milliseconds, to the microsecond.</summary>
    public static double ConnectTimeMs(PSObject instance) => Milliseconds(Of(instance).ConnectTime);

    /// <summary>StartTime as ISO 8601 in UTC ("2025-01-31T08:15:02.1234567Z"), the same text in every culture.</summary>
    public static string StartTimeIso(PSObject instance) => Of(instance).StartTime.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);

    private static double Milliseconds(TimeSpan span) => Math.Round(span.TotalMilliseconds, 3);

    private static ConnectionStatistics Of(PSObject instance) => (ConnectionStatistics)instance.BaseObject;
}
