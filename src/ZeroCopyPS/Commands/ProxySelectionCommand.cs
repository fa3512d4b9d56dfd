using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// What Get- and Stop-ZeroCopyProxy share: selecting proxies by -Name (declared by each, since only Stop
/// requires it), -Id, or job objects from the pipeline, in the parameter sets Get-Job and Stop-Job have.
/// </summary>
public abstract class ProxySelectionCommand : PSCmdlet
{
    protected const string NameSet = "ByName";
    protected const string IdSet = "ById";
    protected const string InputObjectSet = "ByInputObject";

    /// <summary>Job ids of proxies; binds from the Id property of piped objects (Get-ZeroCopyProxy output).</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)] // job ids start at 1: 0 or -1 is a mistake, not a job that might exist
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>
    /// Jobs, from Start-ZeroCopyProxy or Get-Job. Typed Job, not ZeroCopyProxyJob, so that `Get-Job | ...`
    /// binds every job and names the ones that are not proxies (thread jobs are not in the repository -Id searches).
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Job[] InputObject { get; set; } = Array.Empty<Job>();

    /// <summary>The proxies the bound parameter set selects; <paramref name="names"/> null selects every proxy.</summary>
    protected IEnumerable<ZeroCopyProxyJob> SelectProxies(string[]? names) => ParameterSetName switch
    {
        IdSet => ProxyJobLookup.ById(this, Id),
        InputObjectSet => ProxyJobLookup.OnlyProxies(this, InputObject),
        _ => names is null ? ProxyJobLookup.All(this) : ProxyJobLookup.ByName(this, names),
    };
}
