using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>Reports the live counters of the proxies started in this session.</summary>
[Cmdlet(VerbsCommon.Get, "ZeroCopyProxy", DefaultParameterSetName = NameSet, HelpUri = HelpUris.GetZeroCopyProxy)]
[OutputType(typeof(ZeroCopyProxyStatus))]
public sealed class GetZeroCopyProxyCommand : ProxySelectionCommand
{
    /// <summary>Proxy (job) names; wildcards allowed. All proxies when omitted. Binds from the Name property of piped objects.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (ZeroCopyProxyJob job in SelectProxies(Name))
            WriteObject(job.GetStatus());
    }
}
