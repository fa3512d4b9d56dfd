using System.Collections;
using System.Globalization;
using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>What Start-ZeroCopyProxy tells about a proxy it started: Verbose lines, a warning, and the job's Command.</summary>
internal static class StartReport
{
    private static readonly HashSet<string> NotOptions = new(StringComparer.OrdinalIgnoreCase) { "Listen", "Target", "Name", "Wait" };

    /// <summary>
    /// Says where the proxy listens and how many connections it can hold; when the process's descriptor limit
    /// caps the connections below MaxConnections, a warning says by how much: a proxy that silently serves fewer
    /// clients than asked is worse than a warning.
    /// </summary>
    public static void Write(PSCmdlet cmdlet, ProxyOptions options, string[] listening, int effectiveMaxConnections, long descriptorLimit)
    {
        cmdlet.WriteVerbose($"Proxy '{options.Name}' listening on {string.Join(", ", listening)}, forwarding to {TargetList.Describe(options.Targets)}" +
            (options.Targets.Count > 1 ? $" ({options.Balance})" : "") + "; " +
            $"up to {effectiveMaxConnections} connections at once (descriptor limit {descriptorLimit}).");
        if (effectiveMaxConnections >= options.MaxConnections) return;
        cmdlet.WriteWarning($"Proxy '{options.Name}' can hold {effectiveMaxConnections} connections at once, not MaxConnections {options.MaxConnections}: " +
            $"this process may open {descriptorLimit} descriptors (ulimit -n) and keeps some for PowerShell itself; each connection needs 2, " +
            "plus 2 per pipe. Further clients wait in the listen backlog. Raise the limit (ulimit -n, LimitNOFILE=) to serve more.");
    }

    /// <summary>
    /// Start-ZeroCopyProxy -Wait says where it serves on the Information stream, tagged PSHOST like Write-Host:
    /// shown by default (a service's journal gets it) yet still redirectable (6>) and capturable (-InformationVariable).
    /// </summary>
    public static void WriteListening(PSCmdlet cmdlet, ProxyOptions options, string[] listening, string service) =>
        WriteInformation(cmdlet, $"Proxy '{options.Name}' listening on {string.Join(", ", listening)}, forwarding to {options.Target}" +
            (service.Length > 0 ? $"; {service}" : "") + $". SIGTERM or Ctrl+C stops it after a drain of up to {DisplayFormat.Duration(options.DrainTimeout)}.");

    public static void WriteInformation(PSCmdlet cmdlet, string message) =>
        cmdlet.WriteInformation(new HostInformationMessage { Message = message }, ["PSHOST", "ZeroCopyPS"]);

    /// <summary>
    /// The job's Command, what Get-Job shows in its Command column: "-> db:5432" and the options given, the way
    /// a thread job shows its script. The listen side is the job's Location, the column before it.
    /// </summary>
    public static string JobCommand(string target, IDictionary bound)
    {
        var text = new System.Text.StringBuilder("-> ").Append(target);
        foreach (DictionaryEntry entry in bound)
        {
            string key = (string)entry.Key;
            if (NotOptions.Contains(key) || !IsOption(key)) continue;
            object? value = entry.Value is PSObject wrapped ? wrapped.BaseObject : entry.Value;
            string formatted = value is IEnumerable list and not string
                ? string.Join(",", list.Cast<object?>().Select(item => Convert.ToString(item, CultureInfo.InvariantCulture)))
                : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
            text.Append(" -").Append(key).Append(' ').Append(formatted.Contains(' ') ? $"'{formatted}'" : formatted);
        }
        return text.ToString();
    }

    private static bool IsOption(string parameter) =>
        parameter is nameof(StartZeroCopyProxyCommand.HistoryLimit) or nameof(ProxyRoutingParameters.AllowClient) or nameof(ProxyRoutingParameters.DenyClient)
        || ProxyOptionBinding.Pairs.Any(p => p.Parameter == parameter);
}
