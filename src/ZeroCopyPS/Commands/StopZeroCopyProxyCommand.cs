using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Stops proxies: closes their listeners, lets open connections finish for the drain timeout, then
/// closes them. The job stays in the repository (state Stopped) so its statistics can still be read.
/// -DrainTimeout overrides the proxy's own drain for this stop; -Force resets open connections at once;
/// -Verbose says what the stop waits for.
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "ZeroCopyProxy", DefaultParameterSetName = NameSet,
    SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpUris.StopZeroCopyProxy)]
[OutputType(typeof(ZeroCopyProxyJob))]
public sealed class StopZeroCopyProxyCommand : ProxySelectionCommand
{
    /// <summary>Proxy (job) names; wildcards allowed. Binds from the Name property of piped objects, as Stop-Job -Name does.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>How long open connections may finish for this stop; the proxy's own -DrainTimeout when not given.</summary>
    [Parameter]
    [TimeSpanTransformation]
    [ValidateTimeSpan(ProxyOptionLimits.DrainTimeoutMaximumSeconds, AllowZero = true)]
    public TimeSpan DrainTimeout { get; set; }

    /// <summary>Resets open connections at once instead of letting them drain.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Writes each stopped job to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        if (Force && MyInvocation.BoundParameters.ContainsKey(nameof(DrainTimeout)))
            ThrowTerminatingError(ProxyLookupErrors.ForceWithDrainTimeout(DrainTimeout));
    }

    protected override void ProcessRecord()
    {
        TimeSpan? drain = Force ? TimeSpan.Zero
            : MyInvocation.BoundParameters.ContainsKey(nameof(DrainTimeout)) ? DrainTimeout
            : null;
        foreach (ZeroCopyProxyJob job in SelectProxies(Name))
        {
            string target = $"{job.Name} (Id {job.Id}, {job.Location} -> {job.Target})";
            if (!ShouldProcess(target, "Stop proxy")) continue;
            job.Stop(drain, WriteVerbose);
            if (PassThru) WriteObject(job);
        }
    }
}
