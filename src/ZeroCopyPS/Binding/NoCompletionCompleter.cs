using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace ZeroCopyPS;

/// <summary>
/// For endpoint parameters (-Listen, -Target): offers nothing, so Tab does not suggest file names
/// that could never be endpoints.
/// </summary>
internal sealed class NoCompletionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        Array.Empty<CompletionResult>();
}
