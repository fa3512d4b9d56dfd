using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// What the views show of a ProxyFault (ZeroCopyPS.types.ps1xml, ZeroCopyPS.format.ps1xml): the settings of its kind
/// in one readable column, since a fault carries every kind's settings and only its own kind's mean anything.
/// Public because ETS CodeProperty calls and format scriptblocks need public static methods.
/// </summary>
public static class FaultMembers
{
    /// <summary>"Delay 200.0 ms ± 20.0 ms", "10.0 MiB/s", "after 1.0 MiB": the Settings property of a ProxyFault.</summary>
    public static string Settings(PSObject instance) => FaultSettings.Describe((ProxyFault)instance.BaseObject);

    /// <summary>ToString as PowerShell shows a fault: <see cref="Summary"/>.</summary>
    public static string ToText(PSObject instance) => Summary((ProxyFault)instance.BaseObject);

    /// <summary>"latency_toclient: Latency ToClient, Delay 200.0 ms": one fault in Get-ZeroCopyProxy's list view.</summary>
    public static string Summary(ProxyFault fault) =>
        $"{fault.Name}: {fault.Kind} {fault.Direction}, {FaultSettings.Describe(fault)}" + (fault.Probability < 1 ? $", probability {fault.Probability}" : "");
}
