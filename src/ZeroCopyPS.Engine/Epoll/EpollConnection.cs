using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One proxied connection on one event loop: the epoll engine's I/O for a <see cref="ConnectionCore"/>,
/// which decides everything that is not I/O (docs/ARCHITECTURE.md, "Connection policy"). Its intake
/// (<see cref="EpollClientIntake"/>) and connect phase (<see cref="EpollTargetDialer"/>) run first, each
/// dropped when done; then it relays both directions until both reach EOF, a peer fails, or a timer
/// expires. Touched only by its loop's thread.
/// </summary>
internal sealed unsafe partial class EpollConnection : IEventHandler, ILiveConnection
{
    private const int ClientTag = 0;
    private const uint Interest = Flags.EPOLLIN | Flags.EPOLLOUT | Flags.EPOLLRDHUP | Flags.EPOLLPRI;

    private readonly EpollEngine _engine;
    private readonly EventLoop _loop;
    private readonly RelayContext _context;
    private readonly ConnectionCore _core;
    private readonly FileDescriptorHandle _client;
    private readonly bool _clientIsTcp;
    private int _clientSlot = -1;
    private EpollClientIntake? _intake;
    private EpollTargetDialer? _dialer;
    private FileDescriptorHandle? _target;
    private int _targetSlot = -1;
    private int _targetTag = -1;
    private bool _targetIsTcp;
    private EndPoint? _targetLocalEndPoint;
    private bool _clientHangupBeforeRelay;
    private bool _clientUrgentBeforeRelay;
    private bool _runClientToTarget;
    private bool _runTargetToClient;
    private bool _runScheduled;
    private bool _closed;
    private bool _gracefulClose;
    private EndPoint? _proxyDestination;

    private RelayDirection _clientToTarget;
    private RelayDirection _targetToClient;

    public EpollConnection(EpollEngine engine, EventLoop loop, RelayContext context, ConnectionCore core, int clientFd)
    {
        _engine = engine;
        _loop = loop;
        _context = context;
        _core = core;
        _client = new FileDescriptorHandle(clientFd);
        _clientIsTcp = core.Client is not null;
    }

    public long DeadlineMs { get; set; }

    public int TimerIndex { get; set; } = -1;

    public int AliveIndex { get; set; } = -1;

    /// <summary>Loop thread: takes over the accepted socket and starts connecting.</summary>
    public void Start()
    {
        _clientSlot = _loop.Register(_client.Fd, Interest, this, ClientTag);
        _loop.AddAlive(this);
        if (_clientIsTcp)
        {
            NativeSocket.SetNoDelay(_client.Fd);
            NativeSocket.SetOobInline(_client.Fd);
        }
        _core.Proxy.Live[_core.Id] = this;
        _intake = new EpollClientIntake(_loop, this, _core, _client.Fd);
        _intake.Begin();
    }

    /// <summary>From the intake: the client may go on (no loop, its header read, admitted); connect a target.</summary>
    public void OnClientKnown()
    {
        _proxyDestination = _intake!.ProxyDestination;
        _intake = null;
        _dialer = new EpollTargetDialer(_loop, this, _core);
        _dialer.NextTarget();
    }

    /// <summary>From the dialer: no target answered within the connect timeout.</summary>
    public void OnConnectFailed(string text) => Close(CloseReason.ConnectFailed, text);

    /// <summary>From the dialer: <paramref name="winner"/> connected; its socket is the connection's target from now on.</summary>
    public void OnTargetConnected(ConnectAttempt winner, int tag)
    {
        _dialer = null;
        BeginRelay(winner, tag);
    }

    private void BeginRelay(ConnectAttempt winner, int tag)
    {
        _target = winner.Socket;
        _targetSlot = winner.Slot;
        _targetTag = tag;
        _targetLocalEndPoint = winner.LocalEndPoint;
        _targetIsTcp = winner.Address.AddressFamily != AddressFamily.Unix;
        _core.OnConnected(winner.Address);
        if (_core.IsLoop(() => NativeSocket.GetLocalEndPoint(_client.Fd)))
        {
            Close(CloseReason.ProxyLoop, _core.LoopText);
            return;
        }
        if (EpollProxyHeaders.TrySend(_target.Fd, _core, _client.Fd, _proxyDestination) is { } headerFailure)
        {
            Close(CloseReason.Error, headerFailure);
            return;
        }
        if (_targetIsTcp)
        {
            NativeSocket.SetNoDelay(_target.Fd);
            NativeSocket.SetOobInline(_target.Fd);
        }
        long now = _loop.NowMs;
        _clientToTarget = new RelayDirection(_client.Fd, _target.Fd, clientToTarget: true, _context.Mode, now);
        _targetToClient = new RelayDirection(_target.Fd, _client.Fd, clientToTarget: false, _context.Mode, now);
        if (_clientHangupBeforeRelay) _clientToTarget.NoteSourceHangup();
        if (winner.HangupSeen) _targetToClient.NoteSourceHangup();
        if (_clientUrgentBeforeRelay) _clientToTarget.NoteUrgentData();
        if (winner.UrgentSeen) _targetToClient.NoteUrgentData();
        RearmTimer();
        // Bytes may have arrived on either side before we were connected: edge-triggered epoll will not repeat them.
        if (Step(ref _clientToTarget)) Step(ref _targetToClient);
    }

    public void OnEvents(int tag, uint events)
    {
        if (_closed) return;
        // Resets travel at once (docs/ARCHITECTURE.md, invariant 8): an error on either socket ends the
        // connection whatever either direction waits for.
        if ((events & (Flags.EPOLLERR | Flags.EPOLLHUP)) != 0 && (tag == ClientTag || tag == _targetTag) &&
            NativeSocket.GetPendingError(tag == ClientTag ? _client.Fd : _target!.Fd) is var error and not 0)
        {
            Close(FailureClassifier.CloseReasonFor(FailureClassifier.Classify(error)),
                $"reset on the {(tag == ClientTag ? "client" : "target")} side: {FailureClassifier.Describe(error)}");
            return;
        }
        if (_core.Phase is ConnectionPhase.ReadingProxyHeader or ConnectionPhase.Connecting && tag == ClientTag)
        {
            // Remember what the relay needs to know and cannot be told again (edge-triggered).
            if ((events & (Flags.EPOLLRDHUP | Flags.EPOLLHUP)) != 0) _clientHangupBeforeRelay = true;
            if ((events & Flags.EPOLLPRI) != 0) _clientUrgentBeforeRelay = true;
        }
        if (_intake is not null)
        {
            if (tag == ClientTag) _intake.OnClientEvents();
            return;
        }
        if (_core.Phase == ConnectionPhase.Connecting)
        {
            if (tag != ClientTag) _dialer?.OnEvents(tag, events);
            return;
        }

        bool readable = (events & (Flags.EPOLLIN | Flags.EPOLLRDHUP | Flags.EPOLLHUP | Flags.EPOLLPRI)) != 0;
        bool writable = (events & (Flags.EPOLLOUT | Flags.EPOLLHUP)) != 0;
        // The tagged socket is the source of one direction and the destination of the other. A direction
        // waiting for its destination ignores source readiness: it must not read while bytes are in flight.
        ref RelayDirection fromThis = ref tag == ClientTag ? ref _clientToTarget : ref _targetToClient;
        ref RelayDirection toThis = ref tag == ClientTag ? ref _targetToClient : ref _clientToTarget;
        if ((events & (Flags.EPOLLRDHUP | Flags.EPOLLHUP)) != 0) fromThis.NoteSourceHangup();
        if ((events & Flags.EPOLLPRI) != 0) fromThis.NoteUrgentData();
        if (readable && !fromThis.WaitingForWritable && !Step(ref fromThis)) return;
        if (writable && toThis.WaitingForWritable) Step(ref toThis);
    }

    // Only the direction that asked for more time runs again.
    public void OnRun()
    {
        _runScheduled = false;
        bool clientToTarget = _runClientToTarget, targetToClient = _runTargetToClient;
        _runClientToTarget = _runTargetToClient = false;
        if (_closed) return;
        if (clientToTarget && !Step(ref _clientToTarget)) return;
        if (targetToClient) Step(ref _targetToClient);
    }

    // Runs one direction; false when the connection closed as a result.
    private bool Step(ref RelayDirection direction)
    {
        if (direction.Finished) return true;
        if (_core.Faults.IsStale) RefreshFaults();
        RelayOutcome outcome = direction.Run(_context, _loop.NowMs);
        switch (outcome)
        {
            case RelayOutcome.MoreWork:
                if (direction.ClientToTarget) _runClientToTarget = true;
                else _runTargetToClient = true;
                if (!_runScheduled)
                {
                    _runScheduled = true;
                    _loop.ScheduleRun(this);
                }
                return true;
            case RelayOutcome.Failed:
                bool clientSide = direction.ClientToTarget == (direction.FailedSide == RelaySide.Source);
                Close(FailureClassifier.CloseReasonFor(FailureClassifier.Classify(direction.FailureErrno)),
                    $"{direction.FailedCall} on the {(clientSide ? "client" : "target")} side: {FailureClassifier.Describe(direction.FailureErrno)}");
                return false;
            case RelayOutcome.Finished:
                if (_core.NoteFinished(direction.ClientToTarget))
                {
                    Close(_core.NaturalCloseReason, null);
                    return false;
                }
                RearmTimer(); // half-closed: the remaining direction's own timer may now come first
                return true;
            case RelayOutcome.Timed or RelayOutcome.FaultReset or RelayOutcome.FaultLimit:
                return OnFaultOutcome(ref direction, outcome);
            default:
                return true;
        }
    }

    // Lazy timers: activity only records a time; when the timer fires early it moves itself to the real deadline.
    public void OnTimer(long nowMilliseconds)
    {
        if (_closed) return;
        if (_intake is not null)
        {
            _intake.OnTimer(nowMilliseconds);
            return;
        }
        if (_core.Phase == ConnectionPhase.Connecting)
        {
            if (_dialer is not null) _dialer.OnTimer(nowMilliseconds);
            else if (nowMilliseconds >= _core.ConnectDeadlineMs) Close(CloseReason.ConnectFailed, _core.ConnectFailureText(nowMilliseconds));
            return;
        }
        if (!RunDueFaults(nowMilliseconds)) return;
        if (_core.Expired(nowMilliseconds, _clientToTarget.LastProgressMs, _targetToClient.LastProgressMs) is { } reason)
            Close(reason, null);
        else RearmTimer();
    }

    private void RearmTimer() =>
        _loop.ScheduleTimer(this, Math.Min(_core.NextDeadlineMs(_clientToTarget.LastProgressMs, _targetToClient.LastProgressMs), NextFaultWakeMs()));

    public void OnFault(Exception error) => Close(CloseReason.Error, "Engine error: " + error.Message);

    /// <summary>The drain timeout ran out while the proxy stops.</summary>
    public void Abort() => Close(CloseReason.ProxyStopped, null);

    public ConnectionInfo Snapshot() => _core.Snapshot(
        _clientToTarget.BytesDelivered, _targetToClient.BytesDelivered,
        _clientToTarget.BytesSpliced + _targetToClient.BytesSpliced, _clientToTarget.BytesCopied + _targetToClient.BytesCopied,
        _core.Proxy.IsDraining);

    public void RequestClose(bool graceful) => _loop.Post(() =>
    {
        if (_closed) return;
        if (!graceful || _core.Phase != ConnectionPhase.Relaying)
        {
            _gracefulClose = graceful;
            Close(CloseReason.Closed, graceful ? "closed on request, before it relayed" : "reset on request");
            return;
        }
        // Read no more; each direction delivers what it holds, then shuts its destination (FIN).
        _gracefulClose = true;
        _clientToTarget.EndAfterInFlight();
        _targetToClient.EndAfterInFlight();
        if (Step(ref _clientToTarget)) Step(ref _targetToClient);
    });

    /// <summary>Ends the connection (also from its intake and dialer): reset unless both streams really ended.</summary>
    public void Close(CloseReason reason, string? error)
    {
        if (_closed) return;
        _closed = true;
        _loop.RemoveAlive(this);
        _core.Proxy.Live.TryRemove(_core.Id, out _);
        bool relaying = _core.Phase == ConnectionPhase.Relaying;
        long inFlight = relaying ? _clientToTarget.BytesInFlight + _targetToClient.BytesInFlight : 0;
        ApplyFaultCloseReason(ref reason, ref error);
        if (_gracefulClose && reason is CloseReason.ClientClosed or CloseReason.TargetClosed) reason = CloseReason.Closed;
        bool abortive = ConnectionCore.IsAbortive(reason, inFlight, _gracefulClose);
        DirectionTotals clientToTarget = relaying ? _clientToTarget.TakeTotals(_context, abortive && _targetIsTcp) : default;
        DirectionTotals targetToClient = relaying ? _targetToClient.TakeTotals(_context, abortive && _clientIsTcp) : default;
        // A cut stream must not look complete to a peer: reset (a Unix leg cannot carry a reset; its peer reads EOF).
        if (abortive)
        {
            if (_clientIsTcp) NativeSocket.SetAbortiveClose(_client.Fd);
            if (_target is not null && _targetIsTcp) NativeSocket.SetAbortiveClose(_target.Fd);
        }
        _intake = null;
        _dialer?.AbandonAll();
        LoopGuard.RemoveOutgoing(_targetLocalEndPoint, _core.Target);
        if (_clientSlot >= 0) _loop.Forget(_clientSlot);
        if (_targetSlot >= 0) _loop.Forget(_targetSlot);
        _client.Dispose();
        _target?.Dispose();
        _engine.OnConnectionClosed(_core.Finish(reason, error, clientToTarget, targetToClient, abortive));
    }
}
