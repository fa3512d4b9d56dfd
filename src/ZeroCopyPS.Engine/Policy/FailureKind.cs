namespace ZeroCopyPS.Engine.Policy;

/// <summary>What a failed socket call means for the connection, whatever engine made the call.</summary>
internal enum FailureKind
{
    /// <summary>The peer reset the connection (ECONNRESET).</summary>
    PeerReset,

    /// <summary>The peer is gone another way: broken pipe, not connected, aborted, retransmission timeout.</summary>
    PeerGone,

    /// <summary>Nobody accepts at that address (ECONNREFUSED, or no socket file behind a Unix path).</summary>
    Refused,

    /// <summary>No route, no such local address, network down.</summary>
    Unreachable,

    /// <summary>Try again: a nonblocking call found nothing to do, or a Unix listener's backlog is full.</summary>
    WouldBlock,

    /// <summary>The call is not possible on this kind of socket (splice on an unspliceable socket).</summary>
    NotSupported,

    /// <summary>Out of descriptors, buffers or memory.</summary>
    ResourceExhausted,

    /// <summary>Anything else: a bug or an unexpected state.</summary>
    Other,
}
