using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Removes injected faults (docs/ARCHITECTURE.md, "Fault injection"): the connections they touched go on without
/// them at once. Takes Get-ZeroCopyFault's output from the pipeline (ProxyName and Name bind by property name), or a
/// proxy name and fault names. Low impact: removing a fault gives a proxy its normal behaviour back.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "ZeroCopyFault", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = HelpUris.RemoveZeroCopyFault)]
public sealed class RemoveZeroCopyFaultCommand : PSCmdlet
{
    /// <summary>Proxy names; wildcards allowed. Binds from the ProxyName property of piped objects (Get-ZeroCopyFault's output).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[] ProxyName { get; set; } = Array.Empty<string>();

    /// <summary>Fault names; wildcards allowed ('*' removes every fault). Binds from the Name property of piped faults.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(FaultNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        List<WildcardPattern> patterns = FaultNamePatterns.For(this, Name);
        foreach (ZeroCopyProxyJob job in ProxyJobLookup.ByName(this, ProxyName, nameof(ProxyName)))
        {
            if (job.RunningServer is not { } server)
            {
                WriteError(FaultErrors.ProxyNotRunning(job));
                continue;
            }
            IReadOnlyList<ProxyFault> faults = server.Faults;
            for (int i = 0; i < Name.Length; i++)
            {
                List<ProxyFault> matching = faults.Where(f => patterns[i].IsMatch(f.Name)).ToList();
                if (matching.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(Name[i])) WriteError(FaultErrors.NotFound(job.Name, Name[i]));
                foreach (ProxyFault fault in matching) Remove(job, server, fault);
            }
        }
    }

    private void Remove(ZeroCopyProxyJob job, ProxyServer server, ProxyFault fault)
    {
        string what = $"fault '{fault.Name}' ({fault.Kind} {fault.Direction}, {FaultSettings.Describe(fault)}) of proxy '{job.Name}'";
        if (!ShouldProcess(what, "Remove fault")) return;
        // Another Remove (or the same fault matched by two patterns) may have taken it already.
        if (!server.RemoveFault(fault.Name)) WriteError(FaultErrors.NotFound(job.Name, fault.Name));
        else WriteVerbose($"Proxy '{job.Name}': fault '{fault.Name}' removed; its connections go on without it.");
    }
}
