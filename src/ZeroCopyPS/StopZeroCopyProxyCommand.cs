using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// Stops proxies: closes their listeners, lets open connections finish for the drain timeout, then
/// closes them. The job stays in the repository (state Stopped) so its statistics can still be read.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ZeroCopyProxy", DefaultParameterSetName = NameSet,
    SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ZeroCopyProxyJob))]
public sealed class StopZeroCopyProxyCommand : PSCmdlet
{
    private const string NameSet = "ByName";
    private const string IdSet = "ById";
    private const string InputObjectSet = "ByInputObject";

    /// <summary>Proxy (job) names; wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Job ids; binds from the Id property of Get-ZeroCopyProxy output.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ValidateRange(1, int.MaxValue)] // job ids start at 1: 0 or -1 is a mistake, not a job that might exist
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public int[] Id { get; set; } = Array.Empty<int>();

    /// <summary>
    /// Jobs, from Start-ZeroCopyProxy or Get-Job. Typed Job, not ZeroCopyProxyJob, so that
    /// `Get-Job | Stop-ZeroCopyProxy` binds every job and says which ones are not proxies.
    /// </summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public Job[] InputObject { get; set; } = Array.Empty<Job>();

    /// <summary>Writes each stopped job to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        IEnumerable<ZeroCopyProxyJob> jobs = ParameterSetName switch
        {
            IdSet => ProxyJobLookup.ById(this, Id),
            InputObjectSet => ProxyJobLookup.OnlyProxies(this, InputObject),
            _ => ProxyJobLookup.ByName(this, Name),
        };

        foreach (ZeroCopyProxyJob job in jobs)
        {
            string target = $"{job.Name} (Id {job.Id}, {job.Location} -> {job.Target})";
            if (!ShouldProcess(target, "Stop proxy")) continue;
            job.StopJob();
            if (PassThru) WriteObject(job);
        }
    }
}
