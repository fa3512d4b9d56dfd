namespace ZeroCopyPS.Engine;

/// <summary>Which PROXY protocol header (HAProxy's specification) a proxy writes to its target before the client's bytes.</summary>
public enum ProxyProtocolVersion
{
    /// <summary>No header.</summary>
    None = 0,

    /// <summary>Version 1, text: <c>PROXY TCP4 192.0.2.1 198.51.100.1 51234 5432\r\n</c>.</summary>
    V1 = 1,

    /// <summary>Version 2, binary, with a 12-byte signature.</summary>
    V2 = 2,
}
