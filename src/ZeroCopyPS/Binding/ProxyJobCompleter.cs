using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using PowerShellApi = System.Management.Automation.PowerShell;

namespace ZeroCopyPS;

/// <summary>
/// Completes -Name and -Id of Get-/Set-/Stop-ZeroCopyProxy, and -ProxyName of Get-/Stop-ZeroCopyConnection,
/// and -ProxyName of Add-, Get- and Remove-ZeroCopyFault, from the proxy jobs of the session. Set-, Stop-, Add- and
/// Remove- only offer running proxies; Get- offers all of them.
/// </summary>
internal sealed class ProxyJobCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        bool runningOnly = commandName.StartsWith("Stop-", StringComparison.OrdinalIgnoreCase)
            || commandName.StartsWith("Set-", StringComparison.OrdinalIgnoreCase)
            || commandName.StartsWith("Add-", StringComparison.OrdinalIgnoreCase)
            || commandName.StartsWith("Remove-", StringComparison.OrdinalIgnoreCase);
        bool byId = string.Equals(parameterName, "Id", StringComparison.OrdinalIgnoreCase);
        var pattern = WildcardPattern.Get(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);

        foreach (ZeroCopyProxyJob job in ProxyJobs())
        {
            if (runningOnly && job.JobStateInfo.State != JobState.Running) continue;
            string value = byId ? job.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : job.Name;
            if (!pattern.IsMatch(value)) continue;
            string tooltip = $"{job.Name} (Id {job.Id}, {job.JobStateInfo.State}): {job.Location} -> {job.Target}";
            yield return new CompletionResult(Quote(value), value, CompletionResultType.ParameterValue, tooltip);
        }
    }

    /// <summary>The session's proxy jobs by Id; empty when they cannot be listed (FaultNameCompleter uses it too).</summary>
    internal static List<ZeroCopyProxyJob> ProxyJobs()
    {
        // The completer has no cmdlet, hence no JobRepository: ask Get-Job in the completing runspace.
        try
        {
            using PowerShellApi ps = PowerShellApi.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Microsoft.PowerShell.Core\\Get-Job");
            return ps.Invoke()
                .Select(o => o?.BaseObject)
                .OfType<ZeroCopyProxyJob>()
                .OrderBy(j => j.Id)
                .ToList();
        }
        catch (Exception)
        {
            // Completion must never fail the user's typing.
            return new List<ZeroCopyProxyJob>();
        }
    }

    private static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$(){}[];,&|@#<>".Contains(c))
            ? "'" + value.Replace("'", "''") + "'"
            : value;
}
