using System.Management.Automation;

namespace ZeroCopyPS;

/// <summary>
/// The -Name patterns of Get- and Remove-ZeroCopyFault, each checked before any fault is looked at: a malformed one
/// ('latency[') would otherwise throw out of the first IsMatch, and only when some fault exists to match against.
/// </summary>
internal static class FaultNamePatterns
{
    public static List<WildcardPattern> For(PSCmdlet cmdlet, IEnumerable<string> names)
    {
        var patterns = new List<WildcardPattern>();
        foreach (string name in names)
        {
            var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
            try
            {
                pattern.IsMatch("");
            }
            catch (WildcardPatternException e)
            {
                cmdlet.ThrowTerminatingError(FaultErrors.InvalidPattern(name, e));
            }
            patterns.Add(pattern);
        }
        return patterns;
    }
}
