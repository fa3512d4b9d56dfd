namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy's parameters for running as a service: access log, metrics endpoint, seamless
/// restart.
/// </summary>
public abstract class ProxyServiceParameters : ProxyRoutingParameters
{
}
