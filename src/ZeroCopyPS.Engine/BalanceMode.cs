namespace ZeroCopyPS.Engine;

/// <summary>How a proxy with several targets chooses one for a new connection.</summary>
public enum BalanceMode
{
    /// <summary>In turn, each target as often as its weight says (smooth weighted round robin).</summary>
    RoundRobin = 0,

    /// <summary>The target with the fewest open connections for its weight.</summary>
    LeastConnections = 1,

    /// <summary>
    /// By the client's address on a consistent-hash ring: a client keeps its target while the set of
    /// healthy targets does not change, and a target going down moves only its own clients.
    /// </summary>
    SourceHash = 2,

    /// <summary>The first healthy target in the order given: the classic failover pair.</summary>
    First = 3,
}
