using System.Net;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>Start-ZeroCopyProxy's targets and client rules, parsed and checked, on their way into ProxyOptions.</summary>
internal sealed record TargetRouting(IReadOnlyList<ProxyTarget> Targets, IReadOnlyList<IPNetwork> AllowClients, IReadOnlyList<IPNetwork> DenyClients);
