using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// Injected faults on an epoll connection (docs/ARCHITECTURE.md, "Fault injection"): handing each direction
/// its gate when the proxy's faults change, the timer's part (a direction held until a time, a reset by
/// time), and the ends a fault demands (a reset, or LimitData's clean close). Loop thread only.
/// </summary>
internal sealed unsafe partial class EpollConnection
{
    private CloseReason? _faultCloseReason;
    private string? _faultCloseText;

    // Before each run when the proxy's faults changed (one int compare otherwise).
    private void RefreshFaults()
    {
        _core.Faults.Refresh(Environment.TickCount64);
        _clientToTarget.Faults = _core.Faults.ClientToTarget;
        _targetToClient.Faults = _core.Faults.TargetToClient;
        RearmTimer(); // a fault's own time (ResetAfter's After, a Stall's CloseAfter) may now come first
    }

    /// <summary>
    /// Loop thread, posted by the engine for every open connection when the proxy's faults changed: each
    /// direction runs again at once, so an added fault holds it, and a removed one lets go of what it held
    /// (a removed Stall reads on, a removed Latency writes its queue out), idle and stalled ones included.
    /// </summary>
    public void OnFaultsChanged()
    {
        if (_closed || _core.Phase != ConnectionPhase.Relaying) return;
        RefreshFaults();
        if (!RunAgain(ref _clientToTarget) || !RunAgain(ref _targetToClient)) return;
        RearmTimer();
    }

    // A direction waiting for its destination goes on with the writable edge; the others run now.
    private bool RunAgain(ref RelayDirection direction) => direction.WaitingForWritable || Step(ref direction);

    // The outcomes a fault adds to a run; false when the connection closed.
    private bool OnFaultOutcome(ref RelayDirection direction, RelayOutcome outcome)
    {
        switch (outcome)
        {
            case RelayOutcome.Timed:
                RearmTimer();
                return true;
            case RelayOutcome.FaultReset:
                Close(CloseReason.FaultReset, direction.FaultText);
                return false;
            default:
                // LimitData reached: this direction delivers what it read, then FIN; the other stops reading,
                // delivers what it holds, then FIN: a clean close both ways.
                _faultCloseReason ??= CloseReason.FaultLimit;
                _faultCloseText ??= direction.FaultText;
                _gracefulClose = true;
                ref RelayDirection other = ref direction.ClientToTarget ? ref _targetToClient : ref _clientToTarget;
                other.EndAfterInFlight();
                return Step(ref other) && Step(ref direction);
        }
    }

    // The timer's part, before the connection's own timeouts: a reset due by time (ResetAfter's After, a
    // Stall's CloseAfter), then each direction whose hold ended. False when the connection closed.
    private bool RunDueFaults(long nowMs)
    {
        long now = Math.Max(nowMs, Environment.TickCount64);
        if ((DueReset(_clientToTarget.Faults, now) ?? DueReset(_targetToClient.Faults, now)) is { } text)
        {
            Close(CloseReason.FaultReset, text);
            return false;
        }
        if (_clientToTarget.FaultWakeMs <= now && !Step(ref _clientToTarget)) return false;
        if (_targetToClient.FaultWakeMs <= now && !Step(ref _targetToClient)) return false;
        return true;
    }

    private static string? DueReset(DirectionFaults? gate, long nowMs) =>
        gate is { Active: true } && gate.NextDueMs <= nowMs && gate.Due(nowMs, queueEmpty: false, out string? text) == FaultEnd.Reset ? text : null;

    // The earliest time a fault wants this connection's timer.
    private long NextFaultWakeMs() => Math.Min(
        Math.Min(_clientToTarget.FaultWakeMs, _targetToClient.FaultWakeMs),
        Math.Min(_clientToTarget.Faults?.NextDueMs ?? long.MaxValue, _targetToClient.Faults?.NextDueMs ?? long.MaxValue));

    // A connection LimitData ended cleanly says so, with the fault, instead of who finished first.
    private void ApplyFaultCloseReason(ref CloseReason reason, ref string? error)
    {
        if (_faultCloseReason is not { } faultReason || reason is not (CloseReason.ClientClosed or CloseReason.TargetClosed)) return;
        reason = faultReason;
        error ??= _faultCloseText;
    }
}
