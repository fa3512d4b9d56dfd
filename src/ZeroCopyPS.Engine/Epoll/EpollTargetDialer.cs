using System.Net;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The connect phase of one <see cref="EpollConnection"/>: a target chosen by the policy, its addresses
/// (cached or looked up off the loop), the race of its addresses through an <see cref="EpollConnector"/>,
/// and the hand-over to the next target when one fails, all within the connect timeout
/// (docs/ARCHITECTURE.md, "Several targets"). The connection owns the timer and the descriptors' events
/// and passes them on; the dialer answers with <see cref="EpollConnection.OnTargetConnected"/> or
/// <see cref="EpollConnection.OnConnectFailed"/>. Loop thread only; dropped once the relay starts.
/// </summary>
internal sealed class EpollTargetDialer
{
    private readonly EventLoop _loop;
    private readonly EpollConnection _connection;
    private readonly ConnectionCore _core;
    private EpollConnector? _connector;
    private string? _lastTargetError;
    private bool _abandoned;

    public EpollTargetDialer(EventLoop loop, EpollConnection connection, ConnectionCore core)
    {
        _loop = loop;
        _connection = connection;
        _core = core;
    }

    // Invariant: every path ends in a connector started, a lookup under way with the connect deadline
    // scheduled, or one call back to the connection.
    public void NextTarget()
    {
        long now = Environment.TickCount64;
        if (_core.ChooseTarget(now) is not { } target)
        {
            _connection.OnConnectFailed(_core.ConnectFailureText(now, _lastTargetError));
            return;
        }
        if (target.Dns.TryGetFresh(now) is { } known)
        {
            BeginConnect(known);
            return;
        }
        _loop.ScheduleTimer(_connection, _core.ConnectDeadlineMs);
        target.Dns.ResolveAsync(now).ContinueWith(lookup => _loop.Post(() => OnResolved(target, lookup)), TaskScheduler.Default);
    }

    /// <summary>Readiness on an attempt's socket (tags from <see cref="EpollConnector.FirstTag"/>).</summary>
    public void OnEvents(int tag, uint events)
    {
        if (_connector is null) return;
        _connector.OnEvents(tag, events, Environment.TickCount64);
        AfterConnectStep();
    }

    /// <summary>The connection's timer while connecting: the whole phase's deadline, or an attempt's.</summary>
    public void OnTimer(long nowMilliseconds)
    {
        if (nowMilliseconds >= _core.ConnectDeadlineMs) _connection.OnConnectFailed(_core.ConnectFailureText(nowMilliseconds));
        else if (_connector is not null)
        {
            _connector.OnTimer(nowMilliseconds);
            AfterConnectStep();
        }
    }

    /// <summary>The connection closes: pending attempts close, a lookup still under way is ignored.</summary>
    public void AbandonAll()
    {
        _abandoned = true;
        _connector?.AbandonAll();
    }

    private void OnResolved(TargetState target, Task<EndPoint[]> lookup)
    {
        if (_abandoned || _core.TargetState != target || _connector is not null) return; // closed or moved on meanwhile
        // A failure here is this connection's, not the loop's: keep it off the loop's fault path.
        try
        {
            if (lookup.IsCompletedSuccessfully)
            {
                BeginConnect(lookup.Result);
                return;
            }
            _lastTargetError = lookup.Exception?.GetBaseException().Message;
            _core.OnTargetFailed(_lastTargetError ?? "the lookup failed");
            NextTarget();
        }
        catch (Exception e)
        {
            _connection.OnFault(e);
        }
    }

    private void BeginConnect(EndPoint[] addresses)
    {
        long now = Environment.TickCount64;
        _connector = new EpollConnector(_loop, _connection, _core.BeginConnect(addresses, now), _core);
        _connector.Advance(now);
        AfterConnectStep();
    }

    private void AfterConnectStep()
    {
        EpollConnector connector = _connector!;
        if (connector.Winner is { } winner) _connection.OnTargetConnected(winner, connector.WinnerTag);
        else if (connector.GaveUp)
        {
            _lastTargetError = _core.Sequencer?.LastError;
            _core.OnTargetFailed(_lastTargetError ?? "no address answered");
            _connector = null;
            NextTarget();
        }
        else _loop.ScheduleTimer(_connection, Math.Min(connector.NextWakeMs, _core.ConnectDeadlineMs));
    }
}
