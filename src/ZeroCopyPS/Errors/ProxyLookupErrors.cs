using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>The errors of finding proxies by -Name, -Id or -InputObject (Get- and Stop-ZeroCopyProxy).</summary>
internal static class ProxyLookupErrors
{
    public static ErrorRecord NotFound(string message, object target) =>
        ErrorRecords.Create(new ItemNotFoundException(message), ErrorIds.ProxyNotFound, ErrorCategory.ObjectNotFound, target);

    public static ErrorRecord NotAProxy(Job job, string message) =>
        ErrorRecords.Create(new ArgumentException(message), ErrorIds.NotAProxyJob, ErrorCategory.InvalidArgument, job);

    public static ErrorRecord InvalidPattern(string name, WildcardPatternException error) =>
        ErrorRecords.Create(new ArgumentException($"-Name '{EndpointArgument.Show(name)}' is not a valid wildcard pattern: {error.Message}", error),
            ErrorIds.InvalidProxyNamePattern, ErrorCategory.InvalidArgument, name,
            $"-Name '{EndpointArgument.Show(name)}' is not a valid wildcard pattern: an unmatched [ or ].",
            "Close the bracket ('web[12]' matches web1 and web2), or escape it with a backtick to mean the character itself.");

    public static ErrorRecord ForceWithDrainTimeout(TimeSpan drainTimeout) =>
        ErrorRecords.Create(
            new ArgumentException($"-Force stops without a drain (open connections are reset at once), so it cannot go with -DrainTimeout {drainTimeout}."),
            ErrorIds.ForceWithDrainTimeout, ErrorCategory.InvalidArgument, drainTimeout,
            recommendedAction: "Give -Force to reset open connections at once, or -DrainTimeout to let them finish for that long, not both.");
}
