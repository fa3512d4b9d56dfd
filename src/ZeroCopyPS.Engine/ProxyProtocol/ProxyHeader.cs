using System.Net;

namespace ZeroCopyPS.Engine.ProxyProtocol;

/// <summary>
/// A parsed PROXY protocol header. <see cref="Source"/> is the original client when the header names
/// one (TCP4/TCP6, v2 PROXY over INET/INET6); null for v1 UNKNOWN, v2 LOCAL, or families the header
/// does not carry addresses for: the connection's own addresses stand then, as the specification says.
/// </summary>
internal sealed record ProxyHeader(int Length, IPEndPoint? Source, IPEndPoint? Destination);
