using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// The outgoing target connections of every proxy of the process, by their address pair (local,
/// remote), each with the path of proxies its stream has passed through. A client connection whose
/// (peer, local) pair is one of them came from this process: it carries that path on, and if the
/// accepting proxy is already on it, the stream has come back round: a proxy loop (a proxy whose target
/// leads back to itself, or two proxies pointing at each other), which would otherwise fan one client
/// out to MaxConnections connections. A chain of different proxies in one process (A → B → service) is
/// no loop. The whole address pair matters: Linux gives one local port to several connections with
/// different remote ends. TCP only: an outgoing Unix socket has no address to recognise
/// (docs/ARCHITECTURE.md, "Loops").
/// </summary>
internal static class LoopGuard
{
    // local endpoint of an outgoing connection → (remote endpoint, path of proxies) for each connection using it.
    private static readonly Dictionary<IPEndPoint, List<(IPEndPoint Remote, ConnectionCore Owner)>> Outgoing = new();
    private static int _count;

    /// <summary>
    /// Registers a target connection of <paramref name="owner"/>; its path is read when looked up, so a
    /// path the owner learns late (its own loop check before relaying) still reaches the next hop.
    /// </summary>
    public static void AddOutgoing(EndPoint? local, EndPoint? remote, ConnectionCore owner)
    {
        if (Normalize(local) is not { } l || Normalize(remote) is not { } r) return;
        lock (Outgoing)
        {
            if (!Outgoing.TryGetValue(l, out var entries)) Outgoing[l] = entries = new(1);
            entries.Add((r, owner));
            _count++;
        }
    }

    public static void RemoveOutgoing(EndPoint? local, EndPoint? remote)
    {
        if (Normalize(local) is not { } l || Normalize(remote) is not { } r) return;
        lock (Outgoing)
        {
            if (!Outgoing.TryGetValue(l, out var entries)) return;
            int index = entries.FindIndex(e => e.Remote.Equals(r));
            if (index < 0) return;
            entries.RemoveAt(index);
            if (entries.Count == 0) Outgoing.Remove(l);
            _count--;
        }
    }

    /// <summary>
    /// The path of proxies behind a client connection when it is the far end of one of this process's
    /// own target connections, else null. <paramref name="acceptedLocal"/> (the accepted socket's own
    /// address) is asked only when the client's address matches, which an ordinary client rarely does.
    /// </summary>
    public static ProxyRuntime[]? PathOf(EndPoint? client, Func<EndPoint?> acceptedLocal)
    {
        if (Volatile.Read(ref _count) == 0 || Normalize(client) is not { } c) return null;
        List<(IPEndPoint Remote, ConnectionCore Owner)> candidates;
        lock (Outgoing)
        {
            if (!Outgoing.TryGetValue(c, out var entries)) return null;
            candidates = new(entries);
        }
        return Normalize(acceptedLocal()) is { } local ? candidates.FirstOrDefault(e => e.Remote.Equals(local)).Owner?.Path : null;
    }

    // Connects this process has started and not yet registered, by remote endpoint: on loopback the
    // handshake completes inside connect(), so the accepting side may look before the connecting side
    // knows its own port. Such an accept waits for the registration (see ConnectionCore.CheckLoop).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IPEndPoint, int> Pending = new();

    /// <summary>How long an accept waits for such a registration at most; a connect registers within microseconds.</summary>
    public const int RegistrationWaitMs = 500;

    /// <summary>A connect to <paramref name="remote"/> is about to start; its local port is not known yet.</summary>
    public static void BeginConnect(EndPoint? remote)
    {
        if (Normalize(remote) is { } r) Pending.AddOrUpdate(r, 1, (_, n) => n + 1);
    }

    /// <summary>The connect to <paramref name="remote"/> registered its local port (or failed).</summary>
    public static void EndConnect(EndPoint? remote)
    {
        if (Normalize(remote) is not { } r) return;
        while (Pending.TryGetValue(r, out int n))
        {
            if (n <= 1 ? Pending.TryRemove(new KeyValuePair<IPEndPoint, int>(r, n)) : Pending.TryUpdate(r, n - 1, n)) return;
        }
    }

    /// <summary>True while a connect of this process to <paramref name="acceptedLocal"/> has not registered its port.</summary>
    public static bool IsConnectPendingTo(Func<EndPoint?> acceptedLocal) =>
        !Pending.IsEmpty && Normalize(acceptedLocal()) is { } local && Pending.ContainsKey(local);

    // A dual-stack listener sees an IPv4 client as ::ffff:a.b.c.d; the outgoing socket knows it as a.b.c.d.
    private static IPEndPoint? Normalize(EndPoint? endPoint) => endPoint switch
    {
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => new IPEndPoint(ip.Address.MapToIPv4(), ip.Port),
        IPEndPoint ip => ip,
        _ => null,
    };
}
