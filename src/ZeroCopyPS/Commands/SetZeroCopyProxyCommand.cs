using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Replaces the targets of running proxies (docs/ARCHITECTURE.md, "Several targets"): new connections use the
/// new set at once, open ones finish where they are; a target kept with the same weight and role keeps its
/// health and counters. -ReopenLog reopens a proxy's access log at its path (logrotate), as SIGHUP does. Selects proxies as Stop-ZeroCopyProxy does (-Name, -Id, job objects from the pipeline).
/// The new targets are parsed once, before any proxy changes, so a bad one changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.Set, "ZeroCopyProxy", DefaultParameterSetName = NameSet,
    SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpUris.SetZeroCopyProxy)]
[OutputType(typeof(ZeroCopyProxyJob))]
public sealed class SetZeroCopyProxyCommand : ProxySelectionCommand
{
    private List<ProxyTarget>? _targets;

    /// <summary>Proxy (job) names; wildcards allowed. Binds from the Name property of piped objects.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>The new targets, in the forms Start-ZeroCopyProxy -Target takes. Not from the pipeline: a piped job's own Target must not bind here.</summary>
    [Parameter(Position = 1)]
    [TargetTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NoCompletionCompleter))]
    public object[] Target { get; set; } = Array.Empty<object>();

    /// <summary>Reopens the access log at its path, after logrotate (or mv) moved the file.</summary>
    [Parameter]
    public SwitchParameter ReopenLog { get; set; }

    /// <summary>Writes each changed proxy job to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        if (Target.Length == 0 && !ReopenLog) ThrowTerminatingError(RoutingErrors.NothingToSet());
        if (Target.Length > 0) _targets = TargetList.Parse(this, Target);
    }

    protected override void ProcessRecord()
    {
        string? described = _targets is null ? null : TargetList.Describe(_targets);
        string action = string.Join(" and ", new[] { described is null ? null : $"Set targets to {described}", ReopenLog ? "Reopen the access log" : null }.OfType<string>());
        foreach (ZeroCopyProxyJob job in SelectProxies(Name))
        {
            if (!ShouldProcess($"{job.Name} (Id {job.Id}, {job.Location} -> {job.Target})", action)) continue;
            if (job.RunningServer is not { } server)
            {
                WriteError(RoutingErrors.ProxyNotRunning(job));
                continue;
            }
            if ((described is null || TrySetTargets(job, server, described)) && (!ReopenLog || TryReopenLog(job)) && PassThru) WriteObject(job);
        }
    }

    private bool TrySetTargets(ZeroCopyProxyJob job, ProxyServer server, string described)
    {
        try
        {
            server.SetTargets(_targets!);
            job.Target = described;
        }
        catch (Exception e) when (e is ArgumentException or ProxyStartException or ObjectDisposedException)
        {
            WriteError(RoutingErrors.SetTargetsFailed(job, e));
            return false;
        }
        WriteVerbose($"Proxy '{job.Name}': new connections now go to {described}; open connections continue where they are.");
        return true;
    }

    private bool TryReopenLog(ZeroCopyProxyJob job)
    {
        try
        {
            if (!job.ReopenLog())
            {
                WriteError(RoutingErrors.LogReopenFailed(job));
                return false;
            }
        }
        catch (InvalidOperationException e)
        {
            WriteError(RoutingErrors.NoAccessLog(job, e));
            return false;
        }
        WriteVerbose($"Proxy '{job.Name}': access log reopened at its path.");
        return true;
    }
}
