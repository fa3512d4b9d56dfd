using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Start-ZeroCopyProxy's parameters for running as a service: access log, metrics endpoint, seamless
/// restart (docs/service.md). -LogPath and -MetricsListen open things the proxy's host owns
/// (<see cref="ProxyServiceResources"/>); -ReusePort and -HandOverPath are engine options.
/// </summary>
public abstract class ProxyServiceParameters : ProxyRoutingParameters
{
    /// <summary>
    /// A JSON-lines access log: one object per closed connection. Relative paths are relative to the current
    /// location; the file is created (mode 0640 less the umask) or appended to; a FIFO works too.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string? LogPath { get; set; }

    /// <summary>Serve Prometheus text at http://ADDRESS:PORT/metrics: PORT, IP:PORT or [IPv6]:PORT (port 0: a free port).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string? MetricsListen { get; set; }

    /// <summary>Bind TCP listeners with SO_REUSEPORT: several instances on one port, the kernel spreading connections.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.ReusePort))]
    public SwitchParameter ReusePort { get; set; }

    /// <summary>
    /// A Unix socket path for a seamless restart: take the listening sockets of the instance serving it, then
    /// serve it for the next one. Relative paths are relative to the current location.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ProxyOption(nameof(ProxyOptions.HandOverPath))]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public string? HandOverPath { get; set; }
}
