namespace ZeroCopyPS.Engine;

/// <summary>Where an open connection is.</summary>
public enum ConnectionState
{
    /// <summary>Reading the client's PROXY protocol header.</summary>
    ReadingProxyHeader = 0,

    /// <summary>Looking up or connecting the target.</summary>
    Connecting = 1,

    /// <summary>Bytes move both ways.</summary>
    Relaying = 2,

    /// <summary>One direction has finished; the other still runs.</summary>
    HalfClosed = 3,

    /// <summary>The proxy is stopping and lets the connection finish.</summary>
    Draining = 4,
}
