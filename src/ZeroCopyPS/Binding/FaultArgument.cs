using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// One -Fault value of Start-ZeroCopyProxy as <see cref="FaultTransformationAttribute"/> read it: the fault (its
/// Name empty when none was given, so that FaultList gives it a default one), or why the value is not a fault,
/// with the error id and the hashtable key the problem is about. Like <see cref="TargetArgument"/>, a problem is
/// reported by the command with its own error id instead of the binder's generic transformation error.
/// </summary>
public sealed class FaultArgument
{
    internal FaultArgument(ProxyFault fault) => Fault = fault;

    private FaultArgument(string errorId, string problem, object? value, FaultKind kind, ArgumentException? error)
    {
        ErrorId = errorId;
        Problem = problem;
        Value = value;
        Kind = kind;
        Error = error;
    }

    /// <summary>The fault given, or null when <see cref="Problem"/> says why there is none.</summary>
    public ProxyFault? Fault { get; }

    internal string? ErrorId { get; }

    internal string? Problem { get; }

    internal object? Value { get; }

    internal FaultKind Kind { get; }

    /// <summary>ProxyFault.Validate's refusal, for InvalidFaultSetting.</summary>
    internal ArgumentException? Error { get; }

    internal static FaultArgument Invalid(string problem, object? value) => new(ErrorIds.InvalidFault, problem, value, default, null);

    internal static FaultArgument NotForKind(string key, FaultKind kind, object? value) => new(ErrorIds.FaultParameterNotForKind, key, value, kind, null);

    internal static FaultArgument InvalidSetting(ArgumentException error, FaultKind kind, object? value) =>
        new(ErrorIds.InvalidFaultSetting, error.Message, value, kind, error);

    public override string ToString() =>
        Fault is null ? Problem ?? "" : $"{(Fault.Name.Length > 0 ? Fault.Name : FaultSettings.DefaultName(Fault.Kind, Fault.Direction))} ({Fault.Kind} {Fault.Direction})";
}
