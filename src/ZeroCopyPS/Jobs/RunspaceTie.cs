using System.Management.Automation.Runspaces;

namespace ZeroCopyPS;

/// <summary>
/// Ties a proxy job to the runspace whose job repository holds it: when that runspace closes (a
/// [powershell] instance disposed, a thread job's runspace ending), nothing could reach the proxy any
/// more, so the job is told to stop at once instead of serving unseen.
/// </summary>
internal sealed class RunspaceTie : IDisposable
{
    private readonly Runspace _runspace;
    private readonly Action _onClosing;

    private RunspaceTie(Runspace runspace, Action onClosing)
    {
        _runspace = runspace;
        _onClosing = onClosing;
        runspace.StateChanged += OnStateChanged;
    }

    /// <summary>Null when there is no runspace to watch.</summary>
    public static RunspaceTie? Attach(Runspace? runspace, Action onClosing) => runspace is null ? null : new RunspaceTie(runspace, onClosing);

    public void Dispose() => _runspace.StateChanged -= OnStateChanged;

    private void OnStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken) _onClosing();
    }
}
