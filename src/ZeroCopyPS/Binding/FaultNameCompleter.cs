using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Completes -Name of Get- and Remove-ZeroCopyFault with the faults of the running proxies, of the -ProxyName
/// already typed when there is one.
/// </summary>
internal sealed class FaultNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get(wordToComplete.Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        List<WildcardPattern> proxies = ProxyPatterns(fakeBoundParameters["ProxyName"]);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (ZeroCopyProxyJob job in ProxyJobCompleter.ProxyJobs())
        {
            if (proxies.Count > 0 && !proxies.Any(p => p.IsMatch(job.Name))) continue;
            foreach (ProxyFault fault in job.RunningServer?.Faults ?? Array.Empty<ProxyFault>())
            {
                if (!pattern.IsMatch(fault.Name) || !seen.Add(fault.Name)) continue;
                string tooltip = $"{job.Name}: {fault.Kind} {fault.Direction}, {FaultSettings.Describe(fault)}";
                yield return new CompletionResult(Quote(fault.Name), fault.Name, CompletionResultType.ParameterValue, tooltip);
            }
        }
    }

    private static List<WildcardPattern> ProxyPatterns(object? bound)
    {
        IEnumerable<object?> values = bound switch
        {
            null => Array.Empty<object?>(),
            string text => new object?[] { text },
            IEnumerable list => list.Cast<object?>(),
            _ => new[] { bound },
        };
        var patterns = new List<WildcardPattern>();
        foreach (string text in values.Select(v => (v is PSObject p ? p.BaseObject : v) as string).OfType<string>())
        {
            var pattern = WildcardPattern.Get(text, WildcardOptions.IgnoreCase);
            try
            {
                pattern.IsMatch("");
                patterns.Add(pattern);
            }
            catch (WildcardPatternException)
            {
                // Completion must never fail the user's typing: a malformed pattern selects nothing by itself.
            }
        }
        return patterns;
    }

    private static string Quote(string value) =>
        value.Any(c => char.IsWhiteSpace(c) || "'\"`$(){}[];,&|@#<>*?".Contains(c))
            ? "'" + value.Replace("'", "''") + "'"
            : value;
}
