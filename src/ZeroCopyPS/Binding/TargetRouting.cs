using System.Net;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>Start-ZeroCopyProxy's targets, client rules and faults (-Fault), parsed and checked, on their way into ProxyOptions.</summary>
internal sealed record TargetRouting(IReadOnlyList<ProxyTarget> Targets, IReadOnlyList<IPNetwork> AllowClients, IReadOnlyList<IPNetwork> DenyClients)
{
    /// <summary>The faults active from the start (docs/ARCHITECTURE.md, "Fault injection").</summary>
    public IReadOnlyList<ProxyFault> Faults { get; init; } = [];
}
