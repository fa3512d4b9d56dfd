using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>Reports the live counters of the proxies started in this session.</summary>
[Cmdlet(VerbsCommon.Get, "ZeroCopyProxy", DefaultParameterSetName = NameSet)]
[OutputType(typeof(ZeroCopyProxyStatus))]
public sealed class GetZeroCopyProxyCommand : PSCmdlet
{
    private const string NameSet = "ByName";
    private const string IdSet = "ById";
    private const string InputObjectSet = "ByInputObject";

    /// <summary>Proxy (job) names; wildcards allowed. All proxies when omitted.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Job ids of proxies.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)] // job ids start at 1: 0 or -1 is a mistake, not a job that might exist
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>
    /// Jobs, from Start-ZeroCopyProxy or Get-Job. Typed Job so that `Get-Job | Get-ZeroCopyProxy`
    /// binds every job and names the ones that are not proxies (thread jobs are not in the repository
    /// that -Id searches).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Job[] InputObject { get; set; } = Array.Empty<Job>();

    protected override void ProcessRecord()
    {
        IEnumerable<ZeroCopyProxyJob> jobs = ParameterSetName switch
        {
            IdSet => ProxyJobLookup.ById(this, Id),
            InputObjectSet => ProxyJobLookup.OnlyProxies(this, InputObject),
            _ => Name is null ? ProxyJobLookup.All(this) : ProxyJobLookup.ByName(this, Name),
        };
        foreach (ZeroCopyProxyJob job in jobs)
            WriteObject(job.GetStatus());
    }
}
