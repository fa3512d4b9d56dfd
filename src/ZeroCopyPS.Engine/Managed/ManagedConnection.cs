using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Policy;
using ZeroCopyPS.Engine.ProxyProtocol;

namespace ZeroCopyPS.Engine.Managed;

/// <summary>
/// One connection of the portable engine: the I/O, with .NET async sockets, for a
/// <see cref="ConnectionCore"/> that decides everything else. Each direction waits for data with a
/// zero-byte receive and rents a buffer only while bytes flow (as Kestrel does), so an idle connection
/// holds no buffer. Calls into the core are serialised by a lock; the two directions run concurrently.
/// </summary>
internal sealed partial class ManagedConnection : ITimed, ILiveConnection
{
    private readonly ManagedEngine _engine;
    private readonly ConnectionCore _core;
    private readonly Socket _client;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _abort = new();
    // Cancelled for a graceful close: the directions stop reading, deliver what they hold, then FIN.
    private readonly CancellationTokenSource _stopReading;
    private volatile bool _gracefulClose;
    private readonly ManagedDirection _clientToTarget;
    private readonly ManagedDirection _targetToClient;
    private Socket? _target;
    private EndPoint? _targetLocalEndPoint;
    private EndPoint? _targetAddress;
    private EndPoint? _proxyDestination;
    private CloseReason? _forcedReason;
    private (int Errno, bool ClientSide, string Call)? _failure;

    public ManagedConnection(ManagedEngine engine, ConnectionCore core, Socket client)
    {
        _engine = engine;
        _core = core;
        _client = client;
        _stopReading = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        FallbackReason fallback = core.Proxy.Options.CopyMode == CopyMode.Buffered ? FallbackReason.None
            : OperatingSystem.IsLinux() ? FallbackReason.ManagedEngine : FallbackReason.PlatformWithoutSplice;
        _clientToTarget = new ManagedDirection(clientToTarget: true) { Fallback = fallback };
        _targetToClient = new ManagedDirection(clientToTarget: false) { Fallback = fallback };
        if (client.AddressFamily != AddressFamily.Unix) ManagedSockets.ConfigureTcp(client);
    }

    public long DeadlineMs { get; set; }

    public int TimerIndex { get; set; } = -1;

    /// <summary>Any thread, any time (also after the connection ended): ends it for a stop.</summary>
    public void Abort(CloseReason reason)
    {
        lock (_gate) _forcedReason ??= reason;
        _abort.Cancel(); // never disposed (it has no timer or registration to release), so a late Abort cannot throw
    }

    /// <summary>Timer thread: a deadline of this connection is due; the core says whether something expired.</summary>
    public void OnTimer(long nowMs)
    {
        CloseReason? expired;
        long next;
        lock (_gate)
        {
            expired = _core.Phase == ConnectionPhase.Closed ? null
                : _core.Expired(nowMs, _clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
            next = _core.NextDeadlineMs(_clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
        }
        if (expired is null && DueFaultReset(nowMs) is { } text) ResetByFault(text);
        else if (expired is { } reason) Abort(reason);
        else _engine.ScheduleTimer(this, Math.Min(next, FaultDueMs()));
    }

    // Asked at accept: a connect of this process to this listener that has not registered its port yet
    // (LoopCheck.Wait) is waited for, a millisecond at a time, within LoopGuard.RegistrationWaitMs.
    private async Task<bool> LoopsAsync()
    {
        long until = Environment.TickCount64 + LoopGuard.RegistrationWaitMs;
        while (true)
        {
            LoopCheck check = _core.CheckLoop(() => _client.LocalEndPoint);
            if (check != LoopCheck.Wait || Environment.TickCount64 >= until) return check == LoopCheck.Loop;
            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    public async Task<ConnectionStatistics> RunAsync()
    {
        CloseReason reason;
        string? error = null;
        try
        {
            _core.Proxy.Live[_core.Id] = this;
            if (await LoopsAsync().ConfigureAwait(false)) return Close(CloseReason.ProxyLoop, _core.LoopText);
            if (_core.Phase == ConnectionPhase.ReadingProxyHeader)
            {
                _engine.ScheduleTimer(this, _core.ProxyHeaderDeadlineMs);
                (string? refused, _proxyDestination) = await ManagedProxyHeaders.ReadAsync(_client, _core, _gate, _abort.Token).ConfigureAwait(false);
                if (refused is not null) return Close(CloseReason.BadProxyHeader, refused);
            }
            if (!_core.IsAdmitted) return Close(CloseReason.Denied, _core.DeniedText);
            _engine.ScheduleTimer(this, _core.ConnectDeadlineMs);
            (_target, EndPoint address, _targetLocalEndPoint) = await ManagedConnector.ConnectToATargetAsync(_core, _gate, _abort.Token).ConfigureAwait(false);
            _targetAddress = address;
            if (address.AddressFamily != AddressFamily.Unix) ManagedSockets.ConfigureTcp(_target);
            if (_core.IsLoop(() => _client.LocalEndPoint)) return Close(CloseReason.ProxyLoop, _core.LoopText);
            await ManagedProxyHeaders.SendAsync(_target!, _core, _proxyDestination ?? _client.LocalEndPoint, _abort.Token).ConfigureAwait(false);
            long now = Environment.TickCount64;
            lock (_gate)
            {
                _core.OnConnected(address);
                _clientToTarget.LastProgressMs = _targetToClient.LastProgressMs = now;
            }
            RearmTimer();
            // Both directions wanted splice and copy instead: counted per direction, as the epoll engine counts.
            if (_clientToTarget.Fallback != FallbackReason.None) Interlocked.Add(ref _engine.Traffic.SpliceFallbacks, 2);
            reason = await RelayAsync().ConfigureAwait(false);
        }
        catch (ConnectFailedException e)
        {
            reason = CloseReason.ConnectFailed;
            error = e.Message;
        }
        catch (OperationCanceledException) when (_forcedReason is not null)
        {
            reason = _forcedReason.Value;
            if (reason == CloseReason.ConnectFailed) error = _core.ConnectFailureText(Environment.TickCount64);
            if (reason == CloseReason.BadProxyHeader) error = _core.ProxyHeaderTimeoutText;
            if (reason == CloseReason.Closed) error = "closed on request, before it relayed";
        }
        catch (SocketException e) when (_core.Phase != ConnectionPhase.Relaying)
        {
            reason = FailureClassifier.CloseReasonFor(FailureClassifier.Classify(FailureClassifier.ToErrno(e.SocketErrorCode)));
            error = $"the client failed before the relay: {e.Message}";
        }
        catch (Exception e)
        {
            reason = CloseReason.Error;
            error = "Engine error: " + e.Message;
        }
        if (reason == CloseReason.ProxyStopped && _core.Phase == ConnectionPhase.Connecting) error = null;
        return Close(reason, error);
    }

    public ConnectionInfo Snapshot()
    {
        lock (_gate)
            return _core.Snapshot(_clientToTarget.Written, _targetToClient.Written, 0, _clientToTarget.Written + _targetToClient.Written, _core.Proxy.IsDraining);
    }

    public void RequestClose(bool graceful)
    {
        bool relaying;
        lock (_gate) relaying = _core.Phase == ConnectionPhase.Relaying;
        if (graceful && relaying)
        {
            _gracefulClose = true;
            _stopReading.Cancel();
        }
        else Abort(CloseReason.Closed);
    }

    // Both directions run at once; each shuts its destination's write side after its source's EOF and
    // every byte delivered (half-close is data). The first failure is kept (a direction that fails
    // cancels the other, whose cancellation must not hide the real cause). Once one direction has finished,
    // its source is watched for a reset while the other runs, as the epoll engine hears it at once.
    private async Task<CloseReason> RelayAsync()
    {
        Task up = CopyAsync(_client, _target!, _clientToTarget);
        Task down = CopyAsync(_target!, _client, _targetToClient);
        bool upFirst = await Task.WhenAny(up, down).ConfigureAwait(false) == up;
        Task other = upFirst ? down : up;
        if ((upFirst ? _clientToTarget : _targetToClient).Finished && !other.IsCompleted)
        {
            int errno = await ManagedSockets.WatchFinishedSource(upFirst ? _client : _target!, other, _abort.Token).ConfigureAwait(false);
            if (errno != 0) RecordFailure(errno, clientSide: upFirst, "receive(source)");
        }
        await Task.WhenAll(up, down).ConfigureAwait(false);
        lock (_gate)
        {
            if (_failure is { } failure) return FailureClassifier.CloseReasonFor(FailureClassifier.Classify(failure.Errno));
            if (_forcedReason is { } forced) return forced;
            return _faultCloseReason ?? (_gracefulClose ? CloseReason.Closed : _core.NaturalCloseReason);
        }
    }

    private void RecordFailure(int errno, bool clientSide, string call)
    {
        lock (_gate) _failure ??= (errno, clientSide, call);
        _abort.Cancel(); // one failed direction ends the other
    }

    private void RearmTimer()
    {
        long next;
        lock (_gate) next = _core.NextDeadlineMs(_clientToTarget.LastProgressMs, _targetToClient.LastProgressMs);
        _engine.ScheduleTimer(this, Math.Min(next, FaultDueMs()));
    }

    private ConnectionStatistics Close(CloseReason reason, string? error)
    {
        _engine.ScheduleTimer(this, long.MaxValue);
        if (_failure is { } failure)
            error = $"{failure.Call} on the {(failure.ClientSide ? "client" : "target")} side: {FailureClassifier.Describe(failure.Errno)}";
        if (reason is CloseReason.FaultReset or CloseReason.FaultLimit) error ??= _faultText;
        long inFlight = _clientToTarget.InFlight + _targetToClient.InFlight;
        bool abortive = ConnectionCore.IsAbortive(reason, inFlight, _gracefulClose && reason == CloseReason.Closed);
        DirectionTotals clientToTarget = _clientToTarget.Totals(_target, abortive);
        DirectionTotals targetToClient = _targetToClient.Totals(_client, abortive);
        if (abortive)
        {
            // A cut stream must not look complete to a peer: reset instead of a clean FIN.
            ManagedSockets.TryLingerZero(_client);
            if (_target is not null) ManagedSockets.TryLingerZero(_target);
        }
        LoopGuard.RemoveOutgoing(_targetLocalEndPoint, _targetAddress);
        _core.Proxy.Live.TryRemove(_core.Id, out _);
        _client.Dispose();
        _target?.Dispose();
        lock (_gate) return _core.Finish(reason, error, clientToTarget, targetToClient, abortive);
    }

}
