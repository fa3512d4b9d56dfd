namespace ZeroCopyPS.Engine.ProxyProtocol;

/// <summary>What a look at the first bytes of a connection found.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>So far a valid beginning; more bytes are needed.</summary>
    Incomplete,

    /// <summary>Not a PROXY header, or a malformed one; the connection must be dropped.</summary>
    Invalid,

    /// <summary>A whole, valid header; its length is what to consume from the stream.</summary>
    Complete,
}
