using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>The errors of finding proxies by -Name, -Id or -InputObject (the proxy cmdlets), and connections by -ProxyName and -Id.</summary>
internal static class ProxyLookupErrors
{
    public static ErrorRecord NotFound(string message, object target) =>
        ErrorRecords.Create(new ItemNotFoundException(message), ErrorIds.ProxyNotFound, ErrorCategory.ObjectNotFound, target);

    public static ErrorRecord NotAProxy(Job job, string message) =>
        ErrorRecords.Create(new ArgumentException(message), ErrorIds.NotAProxyJob, ErrorCategory.InvalidArgument, job);

    public static ErrorRecord InvalidPattern(string name, WildcardPatternException error, string parameterName = "Name") =>
        ErrorRecords.Create(new ArgumentException($"-{parameterName} '{EndpointArgument.Show(name)}' is not a valid wildcard pattern: {error.Message}", error),
            ErrorIds.InvalidProxyNamePattern, ErrorCategory.InvalidArgument, name,
            $"-{parameterName} '{EndpointArgument.Show(name)}' is not a valid wildcard pattern: an unmatched [ or ].",
            "Close the bracket ('web[12]' matches web1 and web2), or escape it with a backtick to mean the character itself.");

    public static ErrorRecord ForceWithDrainTimeout(TimeSpan drainTimeout) =>
        ErrorRecords.Create(
            new ArgumentException($"-Force stops without a drain (open connections are reset at once), so it cannot go with -DrainTimeout {drainTimeout}."),
            ErrorIds.ForceWithDrainTimeout, ErrorCategory.InvalidArgument, drainTimeout,
            recommendedAction: "Give -Force to reset open connections at once, or -DrainTimeout to let them finish for that long, not both.");

    public static ErrorRecord ConnectionNotFound(string proxyName, long connectionId) =>
        ErrorRecords.Create(
            new ItemNotFoundException($"-Id {connectionId}: proxy '{proxyName}' has no open connection with that id (it may just have closed; Receive-Job has its statistics)."),
            ErrorIds.ConnectionNotFound, ErrorCategory.ObjectNotFound, connectionId);
}
