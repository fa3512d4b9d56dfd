using System.Diagnostics;
using System.Net;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The policy of one proxied connection, the same for both engines (docs/ARCHITECTURE.md, "Connection
/// policy"): which address to connect to and until when, when a timer expires and why, whether the
/// close is clean (FIN) or abortive (RST), and the statistics. The engine does the I/O and tells the
/// core what happened; the core never touches a socket. Not thread-safe: the engine serialises calls
/// (the epoll engine by its loop thread, the managed engine by a lock per connection).
/// </summary>
internal sealed class ConnectionCore
{
    private readonly ProxyRuntime _proxy;
    private readonly string _clientText;
    private readonly string _listenText;
    private readonly DateTimeOffset _startTime = DateTimeOffset.Now;
    private readonly long _acceptedTimestamp = Stopwatch.GetTimestamp();
    private long _connectedTimestamp;
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
    }

    public long Id { get; }

    public EndPoint? Client { get; }

    public ConnectionPhase Phase { get; private set; }

    public long AcceptedMs { get; }

    /// <summary>The connect timeout, DNS included, counts from accept.</summary>
    public long ConnectDeadlineMs => AcceptedMs + _proxy.ConnectTimeoutMs;

    public ConnectSequencer? Sequencer { get; private set; }

    public EndPoint? Target { get; private set; }

    public ProxyRuntime Proxy => _proxy;

    /// <summary>
    /// True when this client is one of the process's own target connections (a proxy loop). Asked at
    /// accept and again just before relaying: the connection that loops registers its address right after
    /// its own connect, which may come a moment after this side accepted it.
    /// </summary>
    public bool IsLoop(Func<EndPoint?> acceptedLocal) => LoopGuard.IsOwnOutgoing(Client, acceptedLocal);

    /// <summary>The text of a proxy loop's record.</summary>
    public string LoopText =>
        $"the client {_clientText} is this process's own connection to a target: a proxy loop, reset instead of forwarded again";

    /// <summary>The addresses are known: connecting starts.</summary>
    public ConnectSequencer BeginConnect(EndPoint[] addresses) => Sequencer = new ConnectSequencer(addresses, ConnectDeadlineMs);

    public void OnConnected(EndPoint target)
    {
        Target = target;
        Phase = ConnectionPhase.Relaying;
        _connectedTimestamp = Stopwatch.GetTimestamp();
    }

    /// <summary>Why connecting failed, for the record's error text.</summary>
    public string ConnectFailureText(long nowMs, string? resolveError = null)
    {
        if (resolveError is not null) return resolveError;
        string earlier = Sequencer?.LastError is { } last ? $" (last: {last})" : "";
        return nowMs >= ConnectDeadlineMs
            ? $"Connecting to target '{_proxy.Dns.Text}' timed out after {_proxy.Options.ConnectTimeout.TotalSeconds:0.###} s{earlier}."
            : $"Could not connect to target '{_proxy.Dns.Text}': {Sequencer?.LastError ?? "no address to try"}";
    }

    /// <summary>A direction delivered its source's end of stream; true when both have.</summary>
    public bool NoteFinished(bool clientToTarget)
    {
        if (!_clientToTargetFinished && !_targetToClientFinished) _clientFinishedFirst = clientToTarget;
        if (clientToTarget) _clientToTargetFinished = true;
        else _targetToClientFinished = true;
        return _clientToTargetFinished && _targetToClientFinished;
    }

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
        if (Phase == ConnectionPhase.Connecting) return ConnectDeadlineMs;
        if (Phase == ConnectionPhase.Closed) return long.MaxValue;
        long deadline = long.MaxValue;
        if (_proxy.IdleTimeoutMs > 0) deadline = Math.Max(lastClientToTargetMs, lastTargetToClientMs) + _proxy.IdleTimeoutMs;
        if (_proxy.HalfCloseTimeoutMs > 0 && _clientToTargetFinished != _targetToClientFinished)
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
        if (Phase == ConnectionPhase.Connecting) return CloseReason.ConnectFailed;
        bool halfClosed = _clientToTargetFinished != _targetToClientFinished;
        if (halfClosed && _proxy.HalfCloseTimeoutMs > 0)
        {
            long remaining = _clientToTargetFinished ? lastTargetToClientMs : lastClientToTargetMs;
            if (nowMs >= remaining + _proxy.HalfCloseTimeoutMs) return CloseReason.HalfCloseTimeout;
        }
        return CloseReason.IdleTimeout;
    }

    /// <summary>
    /// A clean close (FIN) only where both streams really ended and nothing read is undelivered; every
    /// other end (a reset, an error, a stop, a timeout that cuts a direction that had not ended) is
    /// abortive (RST), so no peer takes a cut stream for a complete one.
    /// </summary>
    public static bool IsAbortive(CloseReason reason, long bytesInFlight) =>
        reason is not (CloseReason.ClientClosed or CloseReason.TargetClosed) || bytesInFlight > 0;

    /// <summary>Builds the record from what the engine reports of each direction, and marks the connection closed.</summary>
    public ConnectionStatistics Finish(CloseReason reason, string? error, in DirectionTotals clientToTarget, in DirectionTotals targetToClient, bool abortive)
    {
        Phase = ConnectionPhase.Closed;
        (long c2tSpliced, long c2tCopied) = clientToTarget.DeliveredByPath(abortive);
        (long t2cSpliced, long t2cCopied) = targetToClient.DeliveredByPath(abortive);
        long spliced = c2tSpliced + t2cSpliced, copied = c2tCopied + t2cCopied;
        FallbackReason fallback = clientToTarget.Fallback != FallbackReason.None ? clientToTarget.Fallback : targetToClient.Fallback;
        ProxyOptions options = _proxy.Options;
        return new ConnectionStatistics(
            options.Name, Id, _clientText, _listenText,
            Target is not null ? ProxyEndpoint.Format(Target) : _proxy.Dns.Text,
            _startTime, Stopwatch.GetElapsedTime(_acceptedTimestamp),
            _connectedTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(_acceptedTimestamp, _connectedTimestamp),
            clientToTarget.Delivered(abortive), targetToClient.Delivered(abortive), spliced, copied,
            clientToTarget.Lost(abortive), targetToClient.Lost(abortive),
            Sequencer?.Attempts ?? 0, options.CopyMode, CopyPathClassifier.Classify(spliced, copied), fallback, reason, error);
    }
}
