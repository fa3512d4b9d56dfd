using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The errors of Add-, Get-, Remove-ZeroCopyFault and Start-ZeroCopyProxy -Fault (docs/ARCHITECTURE.md, "Fault
/// injection"): each names the parameter (or the -Fault hashtable key) and says how to write it.
/// </summary>
internal static class FaultErrors
{
    private const string Forms = "Give each fault as a hashtable such as @{ Type = 'Latency'; Delay = '200ms'; Direction = 'ToClient' } " +
        "(keys: Type, Direction, Probability, Name and the settings of the kind), or as a ProxyFault (Get-ZeroCopyFault's output).";

    /// <summary>A -Fault value of the wrong shape: not a hashtable or fault, an unknown key, a value that cannot be read.</summary>
    public static ErrorRecord InvalidFault(string problem, object? value) =>
        ErrorRecords.Create(new ArgumentException($"-Fault: {problem}"), ErrorIds.InvalidFault, ErrorCategory.InvalidArgument, value, recommendedAction: Forms);

    /// <summary>A setting given for a kind that does not take it (-Bytes on a Latency fault).</summary>
    public static ErrorRecord NotForKind(string parameter, FaultKind kind, object? target, string prefix = "") =>
        ErrorRecords.Create(
            new ArgumentException($"{prefix}-{parameter} does not apply to a {kind} fault; it belongs to {FaultSettings.KindsOf(parameter)}."),
            ErrorIds.FaultParameterNotForKind, ErrorCategory.InvalidArgument, target,
            recommendedAction: $"A {kind} fault takes {Settings(kind)}. Leave -{parameter} out, or choose the kind it belongs to with -Type.");

    /// <summary>A setting out of range or missing for its kind (ProxyFault.Validate refused it), named by its parameter.</summary>
    public static ErrorRecord InvalidSetting(ArgumentException error, FaultKind kind, object? target, string prefix = "")
    {
        string parameter = FaultSettings.ParameterOf(error.ParamName);
        return ErrorRecords.Create(new ArgumentException($"{prefix}-{parameter}: {FaultSettings.Message(error)}", error),
            ErrorIds.InvalidFaultSetting, ErrorCategory.InvalidArgument, target,
            recommendedAction: $"A {kind} fault takes {Settings(kind)}; see Get-Help Add-ZeroCopyFault -Parameter {parameter}.");
    }

    public static ErrorRecord NameInUse(string proxyName, string faultName, string prefix = "") =>
        ErrorRecords.Create(new ArgumentException($"{prefix}-Name '{EndpointArgument.Show(faultName)}': proxy '{proxyName}' already has a fault of that name."),
            ErrorIds.FaultNameInUse, ErrorCategory.ResourceExists, faultName,
            recommendedAction: "Choose another -Name, leave it out for a unique default name, or remove the fault first (Remove-ZeroCopyFault).");

    public static ErrorRecord DuplicateName(string faultName) =>
        ErrorRecords.Create(new ArgumentException($"-Fault: two faults are named '{EndpointArgument.Show(faultName)}'; a fault's Name must be unique within its proxy."),
            ErrorIds.FaultNameInUse, ErrorCategory.InvalidArgument, faultName,
            recommendedAction: "Give each fault its own Name, or leave Name out for a unique default name (latency_toclient, latency_toclient_2).");

    public static ErrorRecord TooMany(string message, object target) =>
        ErrorRecords.Create(new ArgumentException(message), ErrorIds.TooManyFaults, ErrorCategory.LimitsExceeded, target,
            recommendedAction: "Remove faults you no longer need (Get-ZeroCopyFault | Remove-ZeroCopyFault).");

    /// <summary>No fault of that name on the proxy named, or (no proxy named) on any running proxy selected.</summary>
    public static ErrorRecord NotFound(string? proxyName, string faultName) =>
        ErrorRecords.Create(new ItemNotFoundException($"-Name '{EndpointArgument.Show(faultName)}': " +
                (proxyName is null ? "no running proxy selected has a fault of that name." : $"proxy '{proxyName}' has no fault of that name.")),
            ErrorIds.FaultNotFound, ErrorCategory.ObjectNotFound, faultName,
            recommendedAction: "Get-ZeroCopyFault lists the faults of every running proxy.");

    public static ErrorRecord InvalidPattern(string name, WildcardPatternException error) =>
        ErrorRecords.Create(new ArgumentException($"-Name '{EndpointArgument.Show(name)}' is not a valid wildcard pattern: {error.Message}", error),
            ErrorIds.InvalidFaultNamePattern, ErrorCategory.InvalidArgument, name,
            recommendedAction: "Close the bracket ('latency[12]' matches latency1 and latency2), or escape it with a backtick to mean the character itself.");

    public static ErrorRecord ProxyNotRunning(ZeroCopyProxyJob job) =>
        ErrorRecords.Create(new InvalidOperationException($"-ProxyName '{job.Name}': the proxy (Id {job.Id}) is {job.JobStateInfo.State}, not running: it has no faults to change."),
            ErrorIds.ProxyNotRunning, ErrorCategory.InvalidOperation, job,
            recommendedAction: "Start a proxy (Start-ZeroCopyProxy, with -Fault to have faults from the start).");

    private static string Settings(FaultKind kind) =>
        FaultSettings.ParametersOf(kind) is { Count: > 0 } names ? string.Join(", ", names.Select(n => "-" + n)) : "no settings";
}
