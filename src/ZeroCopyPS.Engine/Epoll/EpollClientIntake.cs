using System.Net;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The phase of one <see cref="EpollConnection"/> between accept and connecting: the loop check (waiting,
/// a millisecond at a time, for a connect of this process that is heading for this listener to register
/// its port; docs/ARCHITECTURE.md, "Loops"), the client's PROXY header when one is expected ("PROXY
/// protocol"), and the allow/deny rules. It ends in one call back to the connection: <see
/// cref="EpollConnection.OnClientKnown"/> or a close. Loop thread only; dropped when it ends.
/// </summary>
internal sealed class EpollClientIntake
{
    private readonly EventLoop _loop;
    private readonly EpollConnection _connection;
    private readonly ConnectionCore _core;
    private readonly int _clientFd;
    private long _loopCheckUntilMs;
    private bool _waitingForHeader;

    public EpollClientIntake(EventLoop loop, EpollConnection connection, ConnectionCore core, int clientFd)
    {
        _loop = loop;
        _connection = connection;
        _core = core;
        _clientFd = clientFd;
    }

    /// <summary>The address the client's PROXY header named as its destination, if it sent one.</summary>
    public EndPoint? ProxyDestination { get; private set; }

    public void Begin()
    {
        _loopCheckUntilMs = _loop.NowMs + LoopGuard.RegistrationWaitMs;
        CheckLoopThenGoOn();
    }

    /// <summary>Readiness on the client socket while this phase lasts.</summary>
    public void OnClientEvents()
    {
        if (_waitingForHeader) ReadProxyHeader();
    }

    public void OnTimer(long nowMs)
    {
        if (!_waitingForHeader) CheckLoopThenGoOn();
        else if (nowMs >= _core.ProxyHeaderDeadlineMs) _connection.Close(CloseReason.BadProxyHeader, _core.ProxyHeaderTimeoutText);
        else _loop.ScheduleTimer(_connection, _core.ProxyHeaderDeadlineMs);
    }

    // Invariant: runs until the loop check answers, then either closes or starts the phase after accept;
    // while it waits, client events are only noted by the connection (edge-triggered: they will not repeat).
    private void CheckLoopThenGoOn()
    {
        switch (_core.CheckLoop(() => NativeSocket.GetLocalEndPoint(_clientFd)))
        {
            case LoopCheck.Loop:
                _connection.Close(CloseReason.ProxyLoop, _core.LoopText);
                return;
            case LoopCheck.Wait when _loop.NowMs < _loopCheckUntilMs:
                _loop.ScheduleTimer(_connection, _loop.NowMs + 1);
                return;
        }
        if (_core.Phase == ConnectionPhase.ReadingProxyHeader)
        {
            _waitingForHeader = true;
            _loop.ScheduleTimer(_connection, _core.ProxyHeaderDeadlineMs);
            ReadProxyHeader(); // it may be there already: edge-triggered epoll will not say so again
            return;
        }
        Admit();
    }

    private void ReadProxyHeader()
    {
        EpollProxyHeaders.TryRead(_clientFd, out var header, out var failure);
        if (failure is { } f) _connection.Close(f.Reason, f.Text);
        if (header is null) return;
        _waitingForHeader = false;
        ProxyDestination = header.Destination;
        _core.OnProxyHeader(header.Source);
        Admit();
    }

    private void Admit()
    {
        if (_core.IsAdmitted) _connection.OnClientKnown();
        else _connection.Close(CloseReason.Denied, _core.DeniedText);
    }
}
