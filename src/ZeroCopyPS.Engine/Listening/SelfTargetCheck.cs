using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// Refuses, before anything serves, a target that is one of the proxy's own listen addresses: every
/// connection would come straight back in. Loops that only show at run time (a name that changes, two
/// proxies pointing at each other) are caught per connection by <see cref="Policy.LoopGuard"/>.
/// </summary>
internal static class SelfTargetCheck
{
    // A name is looked up once, briefly: a resolver that does not answer must not hold up the start.
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Every target of the set; throws <see cref="ProxyStartException"/> for the first that is a listener.</summary>
    public static void ThrowIfAnyTargetIsListener(IReadOnlyList<ProxyTarget> targets, IReadOnlyList<BoundListener> listeners)
    {
        foreach (ProxyTarget target in targets) ThrowIfTargetIsListener(target.Endpoint, listeners);
    }

    public static void ThrowIfTargetIsListener(ProxyEndpoint target, IReadOnlyList<BoundListener> listeners)
    {
        foreach (BoundListener listener in listeners)
        {
            if (Matches(target, listener))
                throw new ProxyStartException(ProxyStartFailure.TargetIsListener, target.Text,
                    $"The target '{target.Text}' is the proxy's own listen address {listener.ListenText}: every connection would loop back into the proxy.");
        }
    }

    private static bool Matches(ProxyEndpoint target, BoundListener listener)
    {
        if (target.IsUnix || listener.IsUnix)
        {
            if (!target.IsUnix || !listener.IsUnix) return false;
            if (target.IsAbstractUnix || listener.Configured.IsAbstractUnix) return target.UnixPath == listener.Configured.UnixPath;
            return listener.SocketFile is { } file && Path.GetFullPath(target.UnixPath!) == file.Path;
        }
        if (listener.EndPoint is not IPEndPoint bound || bound.Port != target.Port) return false;
        IPAddress listenAddress = Unmapped(bound.Address);
        bool anyInterface = listenAddress.Equals(IPAddress.Any) || listenAddress.Equals(IPAddress.IPv6Any);
        foreach (IPAddress candidate in TargetAddresses(target))
        {
            IPAddress address = Unmapped(candidate);
            if (address.Equals(listenAddress)) return true;
            if (anyInterface && IsLocal(address)) return true;
        }
        return false;
    }

    private static IEnumerable<IPAddress> TargetAddresses(ProxyEndpoint target)
    {
        if (target.Host is null) return [IPAddress.Loopback, IPAddress.IPv6Loopback]; // a bare port means this machine
        if (target.Address is { } literal) return [literal];
        try
        {
            Task<IPAddress[]> lookup = Dns.GetHostAddressesAsync(target.Host);
            return lookup.Wait(LookupTimeout) ? lookup.Result : [];
        }
        catch (AggregateException)
        {
            return []; // the per-connection lookup will report it
        }
    }

    // An address is this machine's when a socket can bind to it.
    private static bool IsLocal(IPAddress address)
    {
        if (IPAddress.IsLoopback(address)) return true;
        try
        {
            using var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(address, 0));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
