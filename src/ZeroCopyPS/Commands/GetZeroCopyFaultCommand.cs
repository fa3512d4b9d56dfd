using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Lists the faults injected into the session's running proxies (docs/ARCHITECTURE.md, "Fault injection"), in the
/// order they were added. A stopped proxy has none. Its output pipes into Remove-ZeroCopyFault.
/// </summary>
[Cmdlet(VerbsCommon.Get, "ZeroCopyFault", HelpUri = HelpUris.GetZeroCopyFault)]
[OutputType(typeof(ProxyFault))]
public sealed class GetZeroCopyFaultCommand : PSCmdlet
{
    /// <summary>Proxy names; wildcards allowed. All proxies when omitted. Binds from the ProxyName property of piped objects.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ProxyJobCompleter))]
    public string[]? ProxyName { get; set; }

    /// <summary>Fault names; wildcards allowed. All faults when omitted. Not from the pipeline: a piped proxy's Name is not a fault's.</summary>
    [Parameter(Position = 1)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(FaultNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        List<WildcardPattern>? patterns = Name is null ? null : FaultNamePatterns.For(this, Name);
        var found = new bool[Name?.Length ?? 0];
        IEnumerable<ZeroCopyProxyJob> jobs = ProxyName is null ? ProxyJobLookup.All(this) : ProxyJobLookup.ByName(this, ProxyName, nameof(ProxyName));
        foreach (ZeroCopyProxyJob job in jobs)
        {
            foreach (ProxyFault fault in job.RunningServer?.Faults ?? Array.Empty<ProxyFault>())
            {
                if (patterns is null)
                {
                    WriteObject(fault);
                    continue;
                }
                bool any = false;
                for (int i = 0; i < patterns.Count; i++)
                {
                    if (!patterns[i].IsMatch(fault.Name)) continue;
                    found[i] = any = true;
                }
                if (any) WriteObject(fault);
            }
        }
        // Like Get-Job -Name: a name without wildcards that matched nothing is an error, a pattern is not.
        for (int i = 0; i < found.Length; i++)
            if (!found[i] && !WildcardPattern.ContainsWildcardCharacters(Name![i])) WriteError(FaultErrors.NotFound(null, Name[i]));
    }
}
