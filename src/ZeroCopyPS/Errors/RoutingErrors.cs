using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The errors of -Target, -AllowClient and -DenyClient (Start- and Set-ZeroCopyProxy), and of changing a
/// running proxy (its targets, -ReopenLog): each names the parameter and the value, and says how to write it.
/// </summary>
internal static class RoutingErrors
{
    public static ErrorRecord InvalidTarget(string problem, object? value) =>
        ErrorRecords.Create(new ArgumentException($"-Target: {problem}"), ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, value,
            recommendedAction: "Give each target as 'host:port', as @{ Endpoint = 'host:port'; Weight = 3; Backup = $true } (Weight and Backup optional), " +
                "or as an object with those properties.");

    public static ErrorRecord TooManyTargets(int count) =>
        ErrorRecords.Create(new ArgumentException($"-Target: {count} targets given; a proxy takes at most {ProxyOptionLimits.TargetsMaximum}."),
            ErrorIds.InvalidTarget, ErrorCategory.InvalidArgument, count,
            recommendedAction: $"Give at most {ProxyOptionLimits.TargetsMaximum} targets, or put another balancer in front.");

    public static ErrorRecord InvalidClientRule(string parameterName, string rule, string problem) =>
        ErrorRecords.Create(new ArgumentException($"-{parameterName} '{EndpointArgument.Show(rule)}' is not an address or range: {problem}"),
            ErrorIds.InvalidClientRule, ErrorCategory.InvalidArgument, rule,
            recommendedAction: "Write an IPv4 or IPv6 address (192.0.2.10, 2001:db8::1) or a CIDR range (192.0.2.0/24, 2001:db8::/32).");

    public static ErrorRecord TooManyClientRules(int count) =>
        ErrorRecords.Create(new ArgumentException($"-AllowClient and -DenyClient: {count} rules given; a proxy takes at most {ProxyOptionLimits.ClientRulesMaximum} together."),
            ErrorIds.InvalidClientRule, ErrorCategory.InvalidArgument, count);

    public static ErrorRecord ProxyNotRunning(ZeroCopyProxyJob job) =>
        ErrorRecords.Create(new InvalidOperationException($"Proxy '{job.Name}' (Id {job.Id}) is {job.JobStateInfo.State}, not running: its targets cannot change."),
            ErrorIds.ProxyNotRunning, ErrorCategory.InvalidOperation, job,
            recommendedAction: "Start a new proxy with the targets you want (Start-ZeroCopyProxy).");

    /// <summary>The engine refused the new set (a target that is one of the proxy's own listeners, or no usable target); nothing changed.</summary>
    public static ErrorRecord SetTargetsFailed(ZeroCopyProxyJob job, Exception error)
    {
        bool self = error is ProxyStartException { Failure: ProxyStartFailure.TargetIsListener };
        return ErrorRecords.Create(error, self ? ErrorIds.ProxyTargetsItself : ErrorIds.SetTargetsFailed,
            self ? ErrorCategory.InvalidArgument : ErrorCategory.InvalidOperation, job,
            $"-Target: the targets of proxy '{job.Name}' were left unchanged: {error.Message}",
            self ? "Point -Target at the service behind the proxy, not at the proxy's own -Listen address." : null);
    }

    public static ErrorRecord NothingToSet() =>
        ErrorRecords.Create(new ArgumentException("Set-ZeroCopyProxy needs -Target, -ReopenLog or both."), ErrorIds.NothingToSet, ErrorCategory.InvalidArgument, null,
            recommendedAction: "Give the new targets with -Target, or -ReopenLog to reopen the access log after it was moved.");

    public static ErrorRecord NoAccessLog(ZeroCopyProxyJob job, Exception error) =>
        ErrorRecords.Create(error, ErrorIds.NoAccessLog, ErrorCategory.InvalidOperation, job, $"-ReopenLog: {error.Message}",
            "Start the proxy with -LogPath to have an access log.");

    public static ErrorRecord LogReopenFailed(ZeroCopyProxyJob job) =>
        ErrorRecords.Create(new IOException($"-ReopenLog: the access log of proxy '{job.Name}' could not be reopened within 2 s; it keeps writing where it was."),
            ErrorIds.LogReopenFailed, ErrorCategory.WriteError, job,
            recommendedAction: "See LogError in Get-ZeroCopyProxy for the reason (a missing directory, permissions), fix it and run Set-ZeroCopyProxy -ReopenLog again.");
}
