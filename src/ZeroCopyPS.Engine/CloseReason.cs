namespace ZeroCopyPS.Engine;

/// <summary>Why a proxied connection ended.</summary>
public enum CloseReason
{
    /// <summary>Both directions reached end of stream; the client finished first.</summary>
    ClientClosed = 0,

    /// <summary>Both directions reached end of stream; the target finished first.</summary>
    TargetClosed = 1,

    /// <summary>A peer reset the connection (ECONNRESET, EPIPE) or a socket reported an error.</summary>
    Reset = 2,

    /// <summary>No byte moved in either direction for longer than the idle timeout; both legs were reset.</summary>
    IdleTimeout = 3,

    /// <summary>
    /// One direction had finished and the other moved no byte for longer than the half-close timeout;
    /// both legs were reset (the remaining stream had not ended).
    /// </summary>
    HalfCloseTimeout = 4,

    /// <summary>No address of the target accepted a connection (refused, unreachable, DNS failure or connect timeout).</summary>
    ConnectFailed = 5,

    /// <summary>The proxy was stopped while the connection was open and it did not finish within the drain timeout.</summary>
    ProxyStopped = 6,

    /// <summary>An unexpected engine error; see the statistics' error text.</summary>
    Error = 7,

    /// <summary>
    /// The connection came from one of this process's own target connections (the target is the proxy
    /// itself, or proxies point at each other); it was reset instead of being forwarded again.
    /// </summary>
    ProxyLoop = 8,

    /// <summary>The client's address is refused by the proxy's allow/deny rules; it was reset before any target was contacted.</summary>
    Denied = 9,

    /// <summary>The client's PROXY protocol header was missing, malformed or too slow; the error text says which.</summary>
    BadProxyHeader = 10,

    /// <summary>The connection was closed on request (Stop-ZeroCopyConnection): reset, or FIN after what was in flight when graceful.</summary>
    Closed = 11,

    /// <summary>
    /// An injected fault reset the connection (ResetAfter, or a Stall's CloseAfter; docs/ARCHITECTURE.md,
    /// "Fault injection"): RST both ways, what was queued counted lost; the error text names the fault.
    /// </summary>
    FaultReset = 12,

    /// <summary>An injected LimitData fault closed the connection cleanly: its bytes delivered, then FIN both ways.</summary>
    FaultLimit = 13,
}
