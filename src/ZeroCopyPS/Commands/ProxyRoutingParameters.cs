namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy's parameters for where connections go and who may connect: several targets,
/// balancing, health checks, client rules, PROXY protocol (docs/ARCHITECTURE.md, "Several targets").
/// </summary>
public abstract class ProxyRoutingParameters : ProxyTuningParameters
{
}
