using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The address pairs (local, remote) of every target connection this process has open. A client
/// connection whose (peer, local) pair is one of them is this process connecting to itself: a proxy
/// loop (a target that leads back to a proxy listener, or two proxies pointing at each other), which
/// would otherwise fan one client out to MaxConnections connections. The whole pair matters: Linux
/// gives one local port to several connections with different remote ends, so an ordinary client may
/// share its address with one of our outgoing connections. Process-wide, because the loop may pass
/// through several proxies. TCP only: an outgoing Unix socket has no address to recognise
/// (docs/ARCHITECTURE.md, "Loops").
/// </summary>
internal static class LoopGuard
{
    // local endpoint of an outgoing connection → the remote endpoints it is connected to (usually one).
    private static readonly Dictionary<IPEndPoint, List<IPEndPoint>> Outgoing = new();
    private static int _count;

    public static void AddOutgoing(EndPoint? local, EndPoint? remote)
    {
        if (Normalize(local) is not { } l || Normalize(remote) is not { } r) return;
        lock (Outgoing)
        {
            if (!Outgoing.TryGetValue(l, out List<IPEndPoint>? remotes)) Outgoing[l] = remotes = new List<IPEndPoint>(1);
            remotes.Add(r);
            _count++;
        }
    }

    public static void RemoveOutgoing(EndPoint? local, EndPoint? remote)
    {
        if (Normalize(local) is not { } l || Normalize(remote) is not { } r) return;
        lock (Outgoing)
        {
            if (!Outgoing.TryGetValue(l, out List<IPEndPoint>? remotes) || !remotes.Remove(r)) return;
            if (remotes.Count == 0) Outgoing.Remove(l);
            _count--;
        }
    }

    /// <summary>
    /// True when the accepted connection from <paramref name="client"/> is the far end of one of this
    /// process's own target connections. <paramref name="acceptedLocal"/> (the accepted socket's own
    /// address) is asked only when the client's address matches, which an ordinary client rarely does.
    /// </summary>
    public static bool IsOwnOutgoing(EndPoint? client, Func<EndPoint?> acceptedLocal)
    {
        if (Volatile.Read(ref _count) == 0 || Normalize(client) is not { } c) return false;
        // An outgoing socket bound before connecting (the managed engine) is known by its wildcard
        // address and its port, which bind made its own on every address.
        var wildcard = new IPEndPoint(c.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, c.Port);
        List<IPEndPoint> remotes = new();
        lock (Outgoing)
        {
            if (Outgoing.TryGetValue(c, out List<IPEndPoint>? exact)) remotes.AddRange(exact);
            if (Outgoing.TryGetValue(wildcard, out List<IPEndPoint>? bound)) remotes.AddRange(bound);
        }
        return remotes.Count > 0 && Normalize(acceptedLocal()) is { } local && remotes.Contains(local);
    }

    // A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d; the outgoing socket knows it as a.b.c.d.
    private static IPEndPoint? Normalize(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port),
        IPEndPoint ip => ip,
        _ => null,
    };
}
