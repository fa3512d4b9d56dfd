using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Closes open connections: reset at once (RST to both peers), or with -Graceful, stop reading, deliver what is
/// in flight, then FIN both ways. Either way the connection's statistics say CloseReason Closed. Takes the
/// output of Get-ZeroCopyConnection from the pipeline, or a proxy name and connection ids.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ZeroCopyConnection", DefaultParameterSetName = InputObjectSet,
    SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpUris.StopZeroCopyConnection)]
public sealed class StopZeroCopyConnectionCommand : PSCmdlet
{
    private const string InputObjectSet = "ByInputObject";
    private const string IdSet = "ById";

    /// <summary>Connections from Get-ZeroCopyConnection.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public ConnectionInfo[] InputObject { get; set; } = Array.Empty<ConnectionInfo>();

    /// <summary>The proxy whose connections to close (an exact name: closing is not done by pattern).</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string ProxyName { get; set; } = "";

    /// <summary>Connection ids of that proxy.</summary>
    [Parameter(Mandatory = true, Position = 1, ParameterSetName = IdSet)]
    [ValidateRange(1, long.MaxValue)]
    public long[] Id { get; set; } = Array.Empty<long>();

    /// <summary>Stop reading, deliver what is in flight, then FIN both ways, instead of a reset.</summary>
    [Parameter]
    public SwitchParameter Graceful { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == IdSet)
        {
            foreach (long id in Id) Close(ProxyName, id, null);
            return;
        }
        foreach (ConnectionInfo connection in InputObject) Close(connection.ProxyName, connection.ConnectionId, connection);
    }

    private void Close(string proxyName, long id, ConnectionInfo? known)
    {
        ZeroCopyProxyJob? job = ProxyJobLookup.All(this).FirstOrDefault(j => string.Equals(j.Name, proxyName, StringComparison.OrdinalIgnoreCase));
        if (job is null)
        {
            WriteError(ProxyLookupErrors.NotFound($"-ProxyName '{EndpointArgument.Show(proxyName)}': no ZeroCopyPS proxy of this session has that name.", proxyName));
            return;
        }
        string what = known is null
            ? $"connection {id} of proxy '{job.Name}'"
            : $"connection {id} of proxy '{job.Name}' ({known.ClientEndPoint} -> {known.TargetEndPoint ?? "no target yet"})";
        if (!ShouldProcess(what, Graceful ? "Close connection (FIN after what is in flight)" : "Reset connection")) return;
        if (job.RunningServer is not { } server || !server.CloseConnection(id, Graceful))
            WriteError(ProxyLookupErrors.ConnectionNotFound(job.Name, id));
    }
}
