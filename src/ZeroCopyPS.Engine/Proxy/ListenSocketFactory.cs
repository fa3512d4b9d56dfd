using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Proxy;

/// <summary>
/// Binds and listens for both engines, turning every way a bind can fail into a
/// <see cref="ProxyStartException"/> that names the endpoint, before anything serves.
/// </summary>
internal static class ListenSocketFactory
{
    /// <summary>All sockets for one endpoint (a host name may resolve to several addresses).</summary>
    public static List<Socket> BindAll(ProxyEndpoint endpoint, int backlog)
    {
        var bound = new List<Socket>();
        try
        {
            foreach (EndPoint address in AddressesFor(endpoint))
                bound.Add(Bind(endpoint, address, backlog));
            return bound;
        }
        catch
        {
            foreach (Socket socket in bound) socket.Dispose();
            throw;
        }
    }

    private static IEnumerable<EndPoint> AddressesFor(ProxyEndpoint endpoint)
    {
        if (endpoint.IsUnix) return [endpoint.ToUnixEndPoint()];
        if (endpoint.IsAnyInterface)
            return [Socket.OSSupportsIPv6 ? new IPEndPoint(IPAddress.IPv6Any, endpoint.Port) : new IPEndPoint(IPAddress.Any, endpoint.Port)];
        if (endpoint.Address is { } literal) return [new IPEndPoint(literal, endpoint.Port)];
        IPAddress[] resolved;
        try
        {
            resolved = Dns.GetHostAddresses(endpoint.Host!);
        }
        catch (SocketException e)
        {
            throw new ProxyStartException(ProxyStartFailure.AddressNotAvailable, endpoint.Text,
                $"Cannot listen on '{endpoint.Text}': the host name '{endpoint.Host}' does not resolve ({e.Message}).", e);
        }
        return resolved.Distinct().Select(a => (EndPoint)new IPEndPoint(a, endpoint.Port)).ToArray();
    }

    private static Socket Bind(ProxyEndpoint endpoint, EndPoint address, int backlog)
    {
        bool unix = address is UnixDomainSocketEndPoint;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (address is IPEndPoint { Address: var ip } && ip.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            if (unix && !endpoint.IsAbstractUnix) RemoveStaleSocketFile(endpoint);
            socket.Bind(address);
            socket.Listen(backlog);
            return socket;
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw Translate(endpoint, e);
        }
        catch (UnauthorizedAccessException e)
        {
            socket.Dispose();
            throw new ProxyStartException(ProxyStartFailure.PermissionDenied, endpoint.Text, $"Cannot listen on '{endpoint.Text}': {e.Message}", e);
        }
    }

    // A socket file left by a proxy that died is in the way of a new bind; a file something still
    // listens on is not stale and is reported as "in use".
    private static void RemoveStaleSocketFile(ProxyEndpoint endpoint)
    {
        string path = endpoint.UnixPath!;
        if (!File.Exists(path)) return;
        if ((File.GetAttributes(path) & FileAttributes.Directory) != 0) return;
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
        }
        catch (SocketException)
        {
            // Not a socket or not ours to judge: let bind report it.
        }
    }

    private static ProxyStartException Translate(ProxyEndpoint endpoint, SocketException e)
    {
        (ProxyStartFailure failure, string why) = e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => (ProxyStartFailure.AddressInUse, "the address is already in use by another socket"),
            SocketError.AccessDenied => (ProxyStartFailure.PermissionDenied, "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE; Unix paths need write access)"),
            SocketError.AddressNotAvailable => (ProxyStartFailure.AddressNotAvailable, "no local interface has that address"),
            _ => (ProxyStartFailure.ListenFailed, e.Message),
        };
        return new ProxyStartException(failure, endpoint.Text, $"Cannot listen on '{endpoint.Text}': {why}.", e);
    }
}
