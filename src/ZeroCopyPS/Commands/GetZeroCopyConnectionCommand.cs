using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Lists the open connections of the session's running proxies, with their counts so far. Each is a snapshot
/// the engine takes without pausing its loops (ProxyServer.GetConnections), so the counts are those of the
/// moment and keep growing after it.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ZeroCopyConnection", HelpUri = HelpUris.GetZeroCopyConnection)]
[OutputType(typeof(ConnectionInfo))]
public sealed class GetZeroCopyConnectionCommand : PSCmdlet
{
    /// <summary>Proxy names; wildcards allowed. All running proxies when omitted. Binds from Name (Get-ZeroCopyProxy output) or ProxyName.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[]? ProxyName { get; set; }

    /// <summary>Connection ids (the ConnectionId of statistics and of this command's output); not from the pipeline, where Id is a job's.</summary>
    [Parameter(Position = 1)]
    [ValidateRange(1, long.MaxValue)]
    public long[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<ZeroCopyProxyJob> jobs = ProxyName is null ? ProxyJobLookup.All(this) : ProxyJobLookup.ByName(this, ProxyName, nameof(ProxyName));
        foreach (ZeroCopyProxyJob job in jobs)
        {
            IReadOnlyList<ConnectionInfo> connections = job.RunningServer?.GetConnections() ?? Array.Empty<ConnectionInfo>();
            if (Id is null)
            {
                foreach (ConnectionInfo connection in connections) WriteObject(connection);
                continue;
            }
            foreach (long id in Id)
            {
                ConnectionInfo? connection = connections.FirstOrDefault(c => c.ConnectionId == id);
                // With several proxies an id is open on at most some of them: only a single named proxy makes a missing id an error.
                if (connection is not null) WriteObject(connection);
                else if (ProxyName is { Length: 1 } && !WildcardPattern.ContainsWildcardCharacters(ProxyName[0]))
                    WriteError(ProxyLookupErrors.ConnectionNotFound(job.Name, id));
            }
        }
    }
}
