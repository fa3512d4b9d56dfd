using System.Diagnostics;
using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The policy of one proxied connection, the same for both engines (docs/ARCHITECTURE.md, "Connection
/// policy"): who the client is (a PROXY header may say), whether it is admitted, which target to try
/// and until when (failing over to the next target within the connect timeout), when a timer expires
/// and why, whether the close is clean (FIN) or abortive (RST), and the statistics. The engine does the
/// I/O and tells the core what happened; the core never touches a socket. Not thread-safe: the engine
/// serialises calls (the epoll engine by its loop thread, the managed engine by a lock per connection).
/// </summary>
internal sealed class ConnectionCore
{
    private const long MinimumTargetShareMilliseconds = 2_000;

    private readonly ProxyRuntime _proxy;
    private readonly string _listenText;
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private readonly long _acceptedTimestamp = Stopwatch.GetTimestamp();
    private readonly List<TargetState> _tried = new(1);
    private string _clientText;
    private string? _loadBalancerText;
    private long _connectedTimestamp;
    private int _attemptsBefore;
    private bool _clientToTargetFinished;
    private bool _targetToClientFinished;
    private bool _clientFinishedFirst;

    public ConnectionCore(ProxyRuntime proxy, long id, EndPoint? client, string listenText)
    {
        _proxy = proxy;
        Id = id;
        Client = client;
        _listenText = listenText;
        _clientText = client is null ? listenText : ProxyEndpoint.Format(client);
        AcceptedMs = Environment.TickCount64;
        Path = [proxy];
        Phase = proxy.Options.AcceptProxyProtocol ? ConnectionPhase.ReadingProxyHeader : ConnectionPhase.Connecting;
        Faults = new ConnectionFaults(proxy.Faults, id);
    }

    public long Id { get; }

    /// <summary>The client: the connecting peer, or the one its PROXY header named.</summary>
    public EndPoint? Client { get; private set; }

    public ConnectionPhase Phase { get; private set; }

    public long AcceptedMs { get; }

    public DateTimeOffset StartTime => _startTime;

    public string ClientText => _clientText;

    /// <summary>The connect timeout, DNS and every target tried included, counts from accept.</summary>
    public long ConnectDeadlineMs => AcceptedMs + _proxy.ConnectTimeoutMs;

    /// <summary>The client's PROXY header must be complete by then.</summary>
    public long ProxyHeaderDeadlineMs => AcceptedMs + _proxy.ProxyProtocolTimeoutMs;

    public ConnectSequencer? Sequencer { get; private set; }

    /// <summary>The target being connected or connected to.</summary>
    public TargetState? TargetState { get; private set; }

    public EndPoint? Target { get; private set; }

    public ProxyRuntime Proxy => _proxy;

    /// <summary>The injected faults that apply to this connection (docs/ARCHITECTURE.md, "Fault injection").</summary>
    public ConnectionFaults Faults { get; }

    /// <summary>The proxies this stream has passed through, this one last (see <see cref="LoopGuard"/>).</summary>
    public ProxyRuntime[] Path { get; private set; }

    /// <summary>
    /// True when this client is one of the process's own target connections whose stream already passed
    /// through this proxy: a loop. Asked at accept and again just before relaying (the connection behind
    /// it registers its address right after its own connect, which may come a moment after this side
    /// accepted it); a chain through other proxies only extends <see cref="Path"/>.
    /// </summary>
    public bool IsLoop(Func<EndPoint?> acceptedLocal) => CheckLoop(acceptedLocal) == LoopCheck.Loop;

    /// <summary>
    /// As <see cref="IsLoop"/>, and <see cref="LoopCheck.Wait"/> while a connect of this process to this
    /// very listener has not yet registered its port: the engine asks again a millisecond later (bounded).
    /// </summary>
    public LoopCheck CheckLoop(Func<EndPoint?> acceptedLocal)
    {
        if (LoopGuard.PathOf(Client, acceptedLocal) is not { } behind)
            return Client is IPEndPoint && LoopGuard.IsConnectPendingTo(acceptedLocal) ? LoopCheck.Wait : LoopCheck.None;
        if (behind.Contains(_proxy)) return LoopCheck.Loop;
        Path = [.. behind, _proxy];
        return LoopCheck.None;
    }

    /// <summary>The text of a proxy loop's record.</summary>
    public string LoopText =>
        $"the client {_clientText} is this process's own connection to a target, and its stream already passed through this proxy: a proxy loop, reset instead of forwarded again";

    /// <summary>The PROXY header named the real client: from now on the statistics, the filter and SourceHash use it.</summary>
    public void OnProxyHeader(IPEndPoint? source)
    {
        Phase = ConnectionPhase.Connecting;
        if (source is null) return; // v1 UNKNOWN, v2 LOCAL or UNSPEC: the connection's own addresses stand
        _loadBalancerText = _clientText;
        Client = source;
        _clientText = ProxyEndpoint.Format(source);
    }

    /// <summary>False when the allow/deny rules refuse this client.</summary>
    public bool IsAdmitted => _proxy.Filter.Admits(Client);

    public string DeniedText => $"the client {_clientText} is refused by the proxy's allow/deny rules";

    /// <summary>
    /// The next target to try (none tried yet, or the last one failed), or null when no target is left
    /// or the connect timeout is over. Each target gets a share of the time left, so a black-holed one
    /// cannot use it all.
    /// </summary>
    public TargetState? ChooseTarget(long nowMs)
    {
        if (nowMs >= ConnectDeadlineMs) return null;
        TargetPool pool = _proxy.Targets;
        TargetState? target = pool.Pick(Client, _tried, nowMs);
        if (target is null) return null;
        _tried.Add(target);
        TargetState = target;
        return target;
    }

    /// <summary>The chosen target's addresses are known: connecting to it starts, within its share of the time left.</summary>
    public ConnectSequencer BeginConnect(EndPoint[] addresses, long nowMs)
    {
        long remaining = ConnectDeadlineMs - nowMs;
        int targetsLeft = Math.Max(1, _proxy.Targets.Remaining(_tried, nowMs) + 1);
        long share = remaining / targetsLeft;
        if (share < MinimumTargetShareMilliseconds) share = Math.Min(remaining, MinimumTargetShareMilliseconds);
        _attemptsBefore += Sequencer?.Attempts ?? 0;
        return Sequencer = new ConnectSequencer(addresses, nowMs + share);
    }

    /// <summary>Every address of the chosen target failed (or its DNS did): counted against its health.</summary>
    public void OnTargetFailed(string why) =>
        TargetState?.OnConnectFailed(why, _proxy.Options.HealthFailureThreshold, _proxy.CoolDownMs);

    public void OnConnected(EndPoint target)
    {
        Target = target;
        Phase = ConnectionPhase.Relaying;
        TargetState?.OnConnected();
        _connectedTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Why connecting failed, for the record's error text.</summary>
    public string ConnectFailureText(long nowMs, string? lastError = null)
    {
        string last = lastError ?? Sequencer?.LastError ?? (TargetState is null ? "no target is up" : "no address to try");
        string tried = _tried.Count > 1 ? $" (tried {string.Join(", ", _tried.Select(t => t.Target.Endpoint.Text))})" : "";
        return nowMs >= ConnectDeadlineMs
            ? $"Connecting to the target timed out after {_proxy.Options.ConnectTimeout.TotalSeconds:0.###} s{tried}; last: {last}."
            : $"Could not connect to any target{tried}: {last}";
    }

    /// <summary>A direction delivered its source's end of stream; true when both have.</summary>
    public bool NoteFinished(bool clientToTarget)
    {
        if (!_clientToTargetFinished && !_targetToClientFinished) _clientFinishedFirst = clientToTarget;
        if (clientToTarget) _clientToTargetFinished = true;
        else _targetToClientFinished = true;
        return _clientToTargetFinished && _targetToClientFinished;
    }

    public bool IsHalfClosed => _clientToTargetFinished != _targetToClientFinished;

    /// <summary>Both directions ended on their own: the close reason that says who finished first.</summary>
    public CloseReason NaturalCloseReason => _clientFinishedFirst ? CloseReason.ClientClosed : CloseReason.TargetClosed;

    /// <summary>
    /// The next time a timer of this connection is due, given when each direction last moved a byte.
    /// Idle: no byte either way for IdleTimeout. Half-close (HAProxy's client-fin/server-fin): once one
    /// direction finished, the other may stay silent for at most HalfCloseTimeout; each byte it moves
    /// starts that wait again.
    /// </summary>
    public long NextDeadlineMs(long lastClientToTargetMs, long lastTargetToClientMs)
    {
        if (Phase == ConnectionPhase.ReadingProxyHeader) return ProxyHeaderDeadlineMs;
        if (Phase == ConnectionPhase.Connecting) return ConnectDeadlineMs;
        if (Phase == ConnectionPhase.Closed) return long.MaxValue;
        long deadline = long.MaxValue;
        if (_proxy.IdleTimeoutMs > 0) deadline = Math.Max(lastClientToTargetMs, lastTargetToClientMs) + _proxy.IdleTimeoutMs;
        if (_proxy.HalfCloseTimeoutMs > 0 && IsHalfClosed)
        {
            long remaining = _clientToTargetFinished ? lastTargetToClientMs : lastClientToTargetMs;
            deadline = Math.Min(deadline, remaining + _proxy.HalfCloseTimeoutMs);
        }
        return deadline;
    }

    /// <summary>The timeout that has expired at <paramref name="nowMs"/>, if any.</summary>
    public CloseReason? Expired(long nowMs, long lastClientToTargetMs, long lastTargetToClientMs)
    {
        if (nowMs < NextDeadlineMs(lastClientToTargetMs, lastTargetToClientMs)) return null;
        if (Phase == ConnectionPhase.ReadingProxyHeader) return CloseReason.BadProxyHeader;
        if (Phase == ConnectionPhase.Connecting) return CloseReason.ConnectFailed;
        if (IsHalfClosed && _proxy.HalfCloseTimeoutMs > 0)
        {
            long remaining = _clientToTargetFinished ? lastTargetToClientMs : lastClientToTargetMs;
            if (nowMs >= remaining + _proxy.HalfCloseTimeoutMs) return CloseReason.HalfCloseTimeout;
        }
        return CloseReason.IdleTimeout;
    }

    /// <summary>The error text of a PROXY header that did not arrive in time.</summary>
    public string ProxyHeaderTimeoutText =>
        $"no complete PROXY protocol header within {_proxy.Options.ProxyProtocolTimeout.TotalSeconds:0.###} s";

    /// <summary>
    /// A clean close (FIN) only where both streams really ended and nothing read is undelivered, or where
    /// a graceful close was asked for and nothing is left in flight; every other end (a reset, an error,
    /// a stop, a timeout that cuts a direction that had not ended) is abortive (RST), so no peer takes a
    /// cut stream for a complete one.
    /// </summary>
    public static bool IsAbortive(CloseReason reason, long bytesInFlight, bool graceful = false) =>
        bytesInFlight > 0 || !(graceful || reason is CloseReason.ClientClosed or CloseReason.TargetClosed or CloseReason.FaultLimit);

    /// <summary>What Get-ZeroCopyConnection shows of this connection, with the engine's counts so far.</summary>
    public ConnectionInfo Snapshot(long bytesClientToTarget, long bytesTargetToClient, long spliced, long copied, bool draining) => new()
    {
        ProxyName = _proxy.Options.Name,
        ConnectionId = Id,
        ClientEndPoint = _clientText,
        TargetEndPoint = Target is null ? null : ProxyEndpoint.Format(Target),
        StartTime = _startTime,
        Age = Stopwatch.GetElapsedTime(_acceptedTimestamp),
        BytesClientToTarget = bytesClientToTarget,
        BytesTargetToClient = bytesTargetToClient,
        CopyPath = CopyPathClassifier.Classify(spliced, copied),
        State = Phase switch
        {
            ConnectionPhase.ReadingProxyHeader => ConnectionState.ReadingProxyHeader,
            ConnectionPhase.Connecting => ConnectionState.Connecting,
            _ when draining => ConnectionState.Draining,
            _ when IsHalfClosed => ConnectionState.HalfClosed,
            _ => ConnectionState.Relaying,
        },
        Faults = Faults.Touched,
    };

    /// <summary>Builds the record from what the engine reports of each direction, and marks the connection closed.</summary>
    public ConnectionStatistics Finish(CloseReason reason, string? error, in DirectionTotals clientToTarget, in DirectionTotals targetToClient, bool abortive)
    {
        if (Phase == ConnectionPhase.Relaying) TargetState?.OnClosed();
        Phase = ConnectionPhase.Closed;
        (long c2tSpliced, long c2tCopied) = clientToTarget.DeliveredByPath(abortive);
        (long t2cSpliced, long t2cCopied) = targetToClient.DeliveredByPath(abortive);
        long spliced = c2tSpliced + t2cSpliced, copied = c2tCopied + t2cCopied;
        if (abortive && clientToTarget.Unsent + targetToClient.Unsent > 0)
            _proxy.Discarded.AddDiscarded(clientToTarget.Written - clientToTarget.Delivered(abortive), targetToClient.Written - targetToClient.Delivered(abortive),
                clientToTarget.Spliced + targetToClient.Spliced - spliced, clientToTarget.Copied + targetToClient.Copied - copied);
        FallbackReason fallback = clientToTarget.Fallback != FallbackReason.None ? clientToTarget.Fallback : targetToClient.Fallback;
        ProxyOptions options = _proxy.Options;
        return new ConnectionStatistics(
            options.Name, Id, _clientText, _loadBalancerText, _listenText, TargetState?.Target.Endpoint.Text,
            Target is not null ? ProxyEndpoint.Format(Target) : TargetState?.Target.Endpoint.Text ?? _proxy.Targets.All[0].Target.Endpoint.Text,
            _startTime, Stopwatch.GetElapsedTime(_acceptedTimestamp),
            _connectedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_acceptedTimestamp, _connectedTimestamp),
            clientToTarget.Delivered(abortive), targetToClient.Delivered(abortive), spliced, copied,
            clientToTarget.Lost(abortive), targetToClient.Lost(abortive),
            _attemptsBefore + (Sequencer?.Attempts ?? 0), options.CopyMode, CopyPathClassifier.Classify(spliced, copied), fallback, reason, error)
        {
            Faults = Faults.Touched,
        };
    }
}
