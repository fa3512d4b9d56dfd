using System.Management.Automation;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// The cmdlet thread's side of Start-ZeroCopyProxy -Wait: each statistics object to the pipeline, each failed
/// connection to the error stream, an engine fault as the terminating error, and a warning when the pipeline
/// read so slowly that statistics were dropped. When stdout is not a terminal (a service's journal, a file),
/// PowerShell formats for 80 columns and keeps its ANSI styles: the 110-column table would lose columns and
/// cut names, so the records are tagged for the list view (every field, nothing cut) and styles are off
/// while the proxy runs (docs/service.md).
/// </summary>
internal sealed class ForegroundOutput : IDisposable
{
    /// <summary>The type name the format file's list view also selects (ZeroCopyPS.format.ps1xml).</summary>
    public const string RedirectedTypeName = "ZeroCopyPS.Engine.ConnectionStatistics#Redirected";

    private readonly PSCmdlet _cmdlet;
    private readonly ForegroundObserver _observer;
    private readonly string _proxyName;
    private readonly int _historyLimit;
    private readonly bool _redirected = Console.IsOutputRedirected;
    private readonly PSPropertyInfo? _rendering;
    private readonly object? _renderingBefore;
    private long _warnedDrops;

    public ForegroundOutput(PSCmdlet cmdlet, ForegroundObserver observer, string proxyName, int historyLimit)
    {
        _cmdlet = cmdlet;
        _observer = observer;
        _proxyName = proxyName;
        _historyLimit = historyLimit;
        // $PSStyle (PowerShell 7.2+; this module compiles against PowerShellStandard, which has no PSStyle type).
        if (!_redirected || cmdlet.SessionState.PSVariable.GetValue("PSStyle") is not { } style) return;
        _rendering = PSObject.AsPSObject(style).Properties["OutputRendering"];
        _renderingBefore = _rendering?.Value;
        if (_rendering is not null && _renderingBefore?.ToString() == "Host") _rendering.Value = "PlainText";
        else _rendering = null;
    }

    /// <summary>Writes until <paramref name="until"/> is cancelled and nothing waits; with it already cancelled, writes what waits.</summary>
    public void WriteUntil(CancellationToken until)
    {
        while (_observer.TryTake(out object? item, until))
        {
            if (item is Exception fault) _cmdlet.ThrowTerminatingError(ConnectionErrorRecords.EngineFaulted(fault, _proxyName, _proxyName));
            if (item is ZeroCopyTargetStateChange change)
            {
                // The same MessageData and tags as the Information records of a job (ProxyJobObserver).
                _cmdlet.WriteInformation(change, new[] { "TargetStateChanged", change.Health.ToString() });
                continue;
            }
            var statistics = (ConnectionStatistics)item!;
            _cmdlet.WriteObject(_redirected ? Tagged(statistics) : statistics);
            if (ConnectionErrorRecords.TryCreate(statistics) is { } error) _cmdlet.WriteError(error);

            long drops = _observer.DroppedCount;
            if (drops == _warnedDrops) continue;
            _cmdlet.WriteWarning($"{drops - _warnedDrops} connection statistics were dropped because the pipeline read them more slowly than connections closed (-HistoryLimit {_historyLimit}).");
            _warnedDrops = drops;
        }
    }

    /// <summary>Restores the output rendering the session had.</summary>
    public void Dispose()
    {
        if (_rendering is not null) _rendering.Value = _renderingBefore;
    }

    // Still the ConnectionStatistics object for every command downstream; only the default view differs.
    private static PSObject Tagged(ConnectionStatistics statistics)
    {
        var wrapped = new PSObject(statistics);
        wrapped.TypeNames.Insert(0, RedirectedTypeName);
        return wrapped;
    }
}
