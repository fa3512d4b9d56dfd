using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy's parameters for where connections go, who may connect and what they meet on the way:
/// several targets, balancing, health checks, client rules, PROXY protocol (docs/ARCHITECTURE.md, "Several
/// targets"), injected faults ("Fault injection").
/// -Target itself is declared by the command (its position and mandatory flag belong with -Listen).
/// </summary>
public abstract class ProxyRoutingParameters : ProxyTuningParameters
{
    /// <summary>How a target is chosen for each new connection when there are several.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.Balance))]
    public BalanceMode Balance { get; set; }

    /// <summary>How often every target gets a connect check; zero (the default) checks only passively, by the connects of clients.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.HealthCheckInterval))]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.HealthIntervalMaximumSeconds, AllowZero = true)]
    public TimeSpan HealthCheckInterval { get; set; }

    /// <summary>Addresses or CIDR ranges that may connect (all when none is given); parsed by ClientRuleList into ProxyOptions.AllowClients.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string[] AllowClient { get; set; } = Array.Empty<string>();

    /// <summary>Addresses or CIDR ranges that may not connect, checked before -AllowClient; into ProxyOptions.DenyClients.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string[] DenyClient { get; set; } = Array.Empty<string>();

    /// <summary>Writes a PROXY protocol header (V1 text or V2 binary) to the target before the client's first byte.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.SendProxyProtocol))]
    public ProxyProtocolVersion SendProxyProtocol { get; set; }

    /// <summary>Expects a PROXY protocol header (v1 or v2) from every client: a load balancer in front.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.AcceptProxyProtocol))]
    public SwitchParameter AcceptProxyProtocol { get; set; }

    /// <summary>
    /// Faults active from the start: hashtables with Add-ZeroCopyFault's parameters as keys
    /// (@{ Type = 'Latency'; Delay = '200ms'; Direction = 'ToClient' }) or ProxyFault objects; parsed by FaultList.
    /// Object[] because a fault may be either.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [FaultTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public object[] Fault { get; set; } = Array.Empty<object>();
}
