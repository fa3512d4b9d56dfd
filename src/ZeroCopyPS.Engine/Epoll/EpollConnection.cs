using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Proxy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// One proxied connection on one event loop: connects to the target (every address in order), then
/// relays both directions until both reach EOF, a peer fails, or a timeout fires. Touched only by its
/// loop's thread, from <see cref="Start"/> to the statistics it reports on close.
/// </summary>
internal sealed class EpollConnection : IEventHandler
{
    private const int ClientTag = 0;
    private const int TargetTag = 1;
    private const uint Interest = Flags.EPOLLIN | Flags.EPOLLOUT | Flags.EPOLLRDHUP | Flags.EPOLLPRI;

    private readonly EpollProxyEngine _engine;
    private readonly EventLoop _loop;
    private readonly RelayContext _context;
    private readonly EpollListener _listener;
    private readonly FileDescriptorHandle _client;
    private readonly EndPoint? _clientEndPoint;
    private readonly long _id;
    private readonly DateTimeOffset _startTime;
    private readonly long _acceptedAtMs;
    private readonly long _acceptedTimestamp;

    private FileDescriptorHandle? _target;
    private EndPoint? _targetEndPoint;
    private EndPoint? _targetLocalEndPoint;
    private EndPoint[]? _targetCandidates;
    private int _candidateIndex;
    private string? _lastConnectError;
    private int _clientSlot = -1;
    private int _targetSlot = -1;
    private State _state;
    private bool _runScheduled;
    private long _connectedTimestamp;
    private long _lastActivityMs;
    private long _halfClosedAtMs;
    private bool _clientFinishedFirst;
    private bool _clientHangupBeforeRelay;
    private bool _targetHangupBeforeRelay;
    private bool _clientUrgentBeforeRelay;
    private bool _targetUrgentBeforeRelay;

    private RelayDirection _clientToTarget;
    private RelayDirection _targetToClient;

    private enum State { Connecting, Relaying, Closed }

    public EpollConnection(EpollProxyEngine engine, EventLoop loop, RelayContext context, EpollListener listener,
        int clientFd, EndPoint? clientEndPoint, long id)
    {
        _engine = engine;
        _loop = loop;
        _context = context;
        _listener = listener;
        _client = new FileDescriptorHandle(clientFd);
        _clientEndPoint = clientEndPoint;
        _id = id;
        _startTime = DateTimeOffset.Now;
        _acceptedAtMs = _lastActivityMs = Environment.TickCount64;
        _acceptedTimestamp = Stopwatch.GetTimestamp();
    }

    public int SweepIndex { get; set; } = -1;

    public void Start()
    {
        _clientSlot = _loop.Register(_client.Fd, Interest, this, ClientTag);
        _loop.AddToSweep(this);
        if (LoopGuard.IsOwnOutgoing(_clientEndPoint, () => NativeSocket.GetLocalEndPoint(_client.Fd)))
        {
            Close(CloseReason.ProxyLoop, $"the client {ProxyEndpoint.Format(_clientEndPoint)} is this process's own connection to a target: a proxy loop, reset instead of forwarded again");
            return;
        }
        if (!_listener.IsUnix)
        {
            NativeSocket.SetNoDelay(_client.Fd);
            NativeSocket.SetOobInline(_client.Fd);
        }

        EndPoint[]? known = _engine.Resolver.StaticEndPoints;
        if (known is not null)
        {
            TryNextCandidate(known);
            return;
        }
        _engine.Resolver.ResolveAsync().ContinueWith(task => _loop.Post(() =>
        {
            if (_state != State.Connecting) return; // timed out or stopped meanwhile
            // A failure here is this connection's, not the loop's: keep it off the loop's fault path.
            try
            {
                if (task.IsCompletedSuccessfully) TryNextCandidate(task.Result);
                else Close(CloseReason.ConnectFailed, $"Could not resolve target '{_engine.Resolver.Text}': {task.Exception?.GetBaseException().Message}");
            }
            catch (Exception e)
            {
                OnFault(e);
            }
        }), TaskScheduler.Default);
    }

    // Tries candidates from _candidateIndex on; returns when one is connecting, connected, or all failed.
    private void TryNextCandidate(EndPoint[] candidates)
    {
        _targetCandidates = candidates;
        while (_candidateIndex < candidates.Length)
        {
            EndPoint candidate = candidates[_candidateIndex++];
            int fd = NativeSocket.TryCreateStream(candidate.AddressFamily, out int errno);
            if (fd < 0)
            {
                _lastConnectError = $"socket() for {ProxyEndpoint.Format(candidate)} failed: {Errno.Describe(errno)}";
                continue;
            }
            _target = new FileDescriptorHandle(fd);
            _targetEndPoint = candidate;
            errno = NativeSocket.StartConnect(fd, candidate.Serialize());
            if (errno is 0 or Errno.EINPROGRESS && candidate.AddressFamily != AddressFamily.Unix)
            {
                // Known from connect on: the port a looping connection would arrive from.
                _targetLocalEndPoint = NativeSocket.GetLocalEndPoint(fd);
                LoopGuard.AddOutgoing(_targetLocalEndPoint, candidate);
            }
            if (errno == 0)
            {
                _targetSlot = _loop.Register(fd, Interest, this, TargetTag);
                OnConnected();
                return;
            }
            if (errno == Errno.EINPROGRESS)
            {
                _targetSlot = _loop.Register(fd, Interest, this, TargetTag);
                return;
            }
            RecordConnectFailure(errno);
        }
        Close(CloseReason.ConnectFailed, $"Could not connect to target '{_engine.Resolver.Text}': {_lastConnectError ?? "no address to try"}");
    }

    private void RecordConnectFailure(int errno)
    {
        _lastConnectError = $"connect to {ProxyEndpoint.Format(_targetEndPoint)} failed: {Errno.Describe(errno)}";
        ForgetOutgoing();
        if (_targetSlot >= 0) _loop.Unregister(_targetSlot, _target!.Fd);
        _targetSlot = -1;
        _target!.Dispose();
        _target = null;
    }

    private void OnConnected()
    {
        _state = State.Relaying;
        _lastActivityMs = Environment.TickCount64;
        if (_targetEndPoint!.AddressFamily != AddressFamily.Unix)
        {
            NativeSocket.SetNoDelay(_target!.Fd);
            NativeSocket.SetOobInline(_target.Fd);
        }
        _connectedTimestamp = Stopwatch.GetTimestamp();
        CopyMode mode = _engine.Options.CopyMode;
        _clientToTarget = new RelayDirection(_client.Fd, _target!.Fd, clientToTarget: true, mode);
        _targetToClient = new RelayDirection(_target.Fd, _client.Fd, clientToTarget: false, mode);
        if (_clientHangupBeforeRelay) _clientToTarget.NoteSourceHangup();
        if (_targetHangupBeforeRelay) _targetToClient.NoteSourceHangup();
        if (_clientUrgentBeforeRelay) _clientToTarget.NoteUrgentData();
        if (_targetUrgentBeforeRelay) _targetToClient.NoteUrgentData();
        // Bytes may have arrived on either side before we were connected: edge-triggered epoll will not repeat them.
        OnRun();
    }

    public void OnEvents(int tag, uint events)
    {
        if (_state == State.Connecting)
        {
            // Remember hang-ups seen before the relay exists: the relay needs them (RelayDirection.NoteSourceHangup).
            if ((events & (Flags.EPOLLRDHUP | Flags.EPOLLHUP | Flags.EPOLLERR)) != 0)
            {
                if (tag == ClientTag) _clientHangupBeforeRelay = true;
                else _targetHangupBeforeRelay = true;
            }
            if ((events & Flags.EPOLLPRI) != 0)
            {
                if (tag == ClientTag) _clientUrgentBeforeRelay = true;
                else _targetUrgentBeforeRelay = true;
            }
            if (tag == TargetTag) OnConnectProgress();
            return;
        }
        if (_state != State.Relaying) return;

        bool broken = (events & (Flags.EPOLLERR | Flags.EPOLLHUP)) != 0;
        bool readable = broken || (events & (Flags.EPOLLIN | Flags.EPOLLRDHUP)) != 0;
        bool writable = broken || (events & Flags.EPOLLOUT) != 0;
        _lastActivityMs = Environment.TickCount64;
        // The tagged socket is the source of one direction and the destination of the other. A direction
        // waiting for its destination ignores source readiness: it must not read while bytes are in flight.
        ref RelayDirection fromThis = ref tag == ClientTag ? ref _clientToTarget : ref _targetToClient;
        ref RelayDirection toThis = ref tag == ClientTag ? ref _targetToClient : ref _clientToTarget;
        if (broken || (events & Flags.EPOLLRDHUP) != 0) fromThis.NoteSourceHangup();
        if ((events & Flags.EPOLLPRI) != 0)
        {
            fromThis.NoteUrgentData();
            readable = true;
        }
        // This peer already ended its stream and now fails (RST): nothing more can be read from it and
        // what we would still send it is lost. Report the reset now, not at the next write or timeout.
        if (broken && fromThis.Finished && !toThis.Finished && NativeSocket.GetPendingError(tag == ClientTag ? _client.Fd : _target!.Fd) is var error and not 0)
        {
            Close(CloseReason.Reset, $"the {(tag == ClientTag ? "client" : "target")} reset the connection after it finished sending: {Errno.Describe(error)}");
            return;
        }
        if (readable && !fromThis.WaitingForWritable && !Step(ref fromThis)) return;
        if (writable && toThis.WaitingForWritable) Step(ref toThis);
    }

    private void OnConnectProgress()
    {
        int error = NativeSocket.GetPendingError(_target!.Fd);
        if (error == 0)
        {
            OnConnected();
            return;
        }
        RecordConnectFailure(error);
        TryNextCandidate(_targetCandidates!);
    }

    public void OnRun()
    {
        _runScheduled = false;
        if (_state != State.Relaying) return;
        if (Step(ref _clientToTarget)) Step(ref _targetToClient);
    }

    // Runs one direction; false when the connection closed as a result.
    private bool Step(ref RelayDirection direction)
    {
        if (direction.Finished) return true;
        switch (direction.Run(_context))
        {
            case RelayOutcome.MoreWork:
                if (!_runScheduled)
                {
                    _runScheduled = true;
                    _loop.ScheduleRun(this);
                }
                return true;
            case RelayOutcome.Failed:
                OnDirectionFailed(ref direction);
                return false;
            case RelayOutcome.Finished:
                return OnDirectionFinished(direction.ClientToTarget);
            default:
                return true;
        }
    }

    private bool OnDirectionFinished(bool clientToTarget)
    {
        if (_clientToTarget.Finished && _targetToClient.Finished)
        {
            Close(_clientFinishedFirst ? CloseReason.ClientClosed : CloseReason.TargetClosed, null);
            return false;
        }
        _clientFinishedFirst = clientToTarget;
        _halfClosedAtMs = Environment.TickCount64;
        return true;
    }

    private void OnDirectionFailed(ref RelayDirection direction)
    {
        bool sourceSide = direction.FailedCall!.Contains("source");
        bool clientSide = direction.ClientToTarget == sourceSide;
        string text = $"{direction.FailedCall} on the {(clientSide ? "client" : "target")} side: {Errno.Describe(direction.FailureErrno)}";
        Close(Errno.IsPeerGone(direction.FailureErrno) ? CloseReason.Reset : CloseReason.Error, text);
    }

    public void OnSweep(long nowMilliseconds)
    {
        ProxyOptions options = _engine.Options;
        if (_state == State.Connecting)
        {
            if (nowMilliseconds - _acceptedAtMs >= (long)options.ConnectTimeout.TotalMilliseconds)
                Close(CloseReason.ConnectFailed,
                    $"Connecting to target '{_engine.Resolver.Text}' timed out after {options.ConnectTimeout.TotalSeconds:0.###} s" +
                    (_lastConnectError is null ? "." : $" (earlier: {_lastConnectError})."));
            return;
        }
        if (_state != State.Relaying) return;
        if (options.IdleTimeout > TimeSpan.Zero && nowMilliseconds - _lastActivityMs >= (long)options.IdleTimeout.TotalMilliseconds)
            Close(CloseReason.IdleTimeout, null);
        else if (options.HalfCloseTimeout > TimeSpan.Zero && _halfClosedAtMs > 0 &&
                 nowMilliseconds - _halfClosedAtMs >= (long)options.HalfCloseTimeout.TotalMilliseconds)
            Close(CloseReason.HalfCloseTimeout, null);
    }

    public void OnFault(Exception error) => Close(CloseReason.Error, "Engine error: " + error.Message);

    /// <summary>Drain timeout ran out while the proxy stops.</summary>
    public void Abort() => Close(CloseReason.ProxyStopped, null);

    private void Close(CloseReason reason, string? error)
    {
        if (_state == State.Closed) return;
        bool wasRelaying = _state == State.Relaying;
        _state = State.Closed;
        _loop.RemoveFromSweep(this);

        long lost = 0;
        if (wasRelaying) lost = _clientToTarget.Release(_context) + _targetToClient.Release(_context);
        // A cut stream must not look complete to a peer: reset instead of a clean FIN.
        if (reason is CloseReason.Reset or CloseReason.Error or CloseReason.ProxyStopped or CloseReason.ProxyLoop || lost > 0)
        {
            NativeSocket.SetAbortiveClose(_client.Fd);
            if (_target is not null) NativeSocket.SetAbortiveClose(_target.Fd);
        }
        ForgetOutgoing();
        if (_clientSlot >= 0) _loop.Unregister(_clientSlot, _client.Fd);
        if (_targetSlot >= 0) _loop.Unregister(_targetSlot, _target!.Fd);
        _client.Dispose();
        _target?.Dispose();

        _engine.OnConnectionClosed(_listener, BuildStatistics(reason, error, lost));
    }

    private void ForgetOutgoing()
    {
        LoopGuard.RemoveOutgoing(_targetLocalEndPoint, _targetEndPoint);
        _targetLocalEndPoint = null;
    }

    private ConnectionStatistics BuildStatistics(CloseReason reason, string? error, long lost)
    {
        long spliced = _clientToTarget.BytesSpliced + _targetToClient.BytesSpliced;
        long copied = _clientToTarget.BytesCopied + _targetToClient.BytesCopied;
        CopyPath path = CopyPathClassifier.Classify(spliced, copied);
        FallbackReason fallback = _clientToTarget.Fallback != FallbackReason.None ? _clientToTarget.Fallback : _targetToClient.Fallback;
        string client = _clientEndPoint is null ? _listener.ListenText : ProxyEndpoint.Format(_clientEndPoint);
        string target = _targetEndPoint is null || _connectedTimestamp == 0 ? _engine.Resolver.Text : ProxyEndpoint.Format(_targetEndPoint);
        return new ConnectionStatistics(
            _engine.Options.Name, _id, client, _listener.ListenText, target, _startTime,
            Stopwatch.GetElapsedTime(_acceptedTimestamp),
            _connectedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_acceptedTimestamp, _connectedTimestamp),
            _clientToTarget.BytesDelivered, _targetToClient.BytesDelivered, spliced, copied, lost,
            _engine.Options.CopyMode, path, fallback, reason, error);
    }
}
