namespace ZeroCopyPS.Engine.Policy;

/// <summary>Where a connection is in its life.</summary>
internal enum ConnectionPhase
{
    /// <summary>Accepted; reading the client's PROXY protocol header.</summary>
    ReadingProxyHeader,

    /// <summary>The target is being chosen, looked up or connected.</summary>
    Connecting,

    /// <summary>Both sockets open, bytes moving (one direction may have finished: half-closed).</summary>
    Relaying,

    /// <summary>Closed; its statistics are out.</summary>
    Closed,
}
