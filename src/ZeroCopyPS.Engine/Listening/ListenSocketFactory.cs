using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS.Engine.Listening;

/// <summary>
/// Binds and listens for both engines, turning every way a bind can fail into a
/// <see cref="ProxyStartException"/> that names the endpoint, before anything serves.
/// </summary>
internal static class ListenSocketFactory
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    /// <summary>Every listener of the options; on any failure none is left bound.</summary>
    public static List<BoundListener> BindAll(ProxyOptions options)
    {
        var bound = new List<BoundListener>();
        try
        {
            // A socket the previous instance handed over serves its address as it is (docs/ARCHITECTURE.md,
            // "Seamless restart"); everything else is bound anew.
            ListenContext? context = ListenContext.Current;
            foreach (ProxyEndpoint endpoint in options.Listen)
                foreach (EndPoint address in AddressesFor(endpoint))
                    bound.Add(context?.TryAdopt(endpoint, address, address is UnixDomainSocketEndPoint && !endpoint.IsAbstractUnix ? address.ToString() : null)
                        ?? Bind(endpoint, address, options));
            SelfTargetCheck.ThrowIfAnyTargetIsListener(options.Targets, bound);
            context?.Bound(bound);
            return bound;
        }
        catch
        {
            foreach (BoundListener listener in bound) listener.Close();
            throw;
        }
    }

    private static IEnumerable<EndPoint> AddressesFor(ProxyEndpoint endpoint)
    {
        if (endpoint.IsUnix) return [endpoint.IsAbstractUnix ? endpoint.ToUnixEndPoint() : new UnixDomainSocketEndPoint(FullPath(endpoint))];
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

    // The file is bound and removed by its absolute path: the process's working directory may change
    // between start and stop.
    private static string FullPath(ProxyEndpoint endpoint)
    {
        string path = Path.GetFullPath(endpoint.UnixPath!);
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > ProxyEndpoint.MaxUnixPathBytes)
            throw new ProxyStartException(ProxyStartFailure.ListenFailed, endpoint.Text,
                $"Cannot listen on '{endpoint.Text}': its full path '{path}' is {bytes} bytes long; Linux allows at most {ProxyEndpoint.MaxUnixPathBytes}.");
        return path;
    }

    private static BoundListener Bind(ProxyEndpoint endpoint, EndPoint address, ProxyOptions options)
    {
        bool unix = address is UnixDomainSocketEndPoint;
        string? path = unix && !endpoint.IsAbstractUnix ? FullPath(endpoint) : null;
        if (path is not null && NativeFile.IsSupported) return BindUnixPath(endpoint, path, options);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            if (address is IPEndPoint { Address: var ip } && ip.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            // SO_REUSEPORT: another process (the next version, or a sibling for scale) may bind the same port.
            if (options.ReusePort && address is IPEndPoint) socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            socket.Bind(address);
            socket.Listen(options.ListenBacklog);
            return new BoundListener(socket, endpoint, null);
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
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // A socket file is bound natively, not with Socket.Bind: a .NET Socket bound to a path deletes
    // whatever file is at that path when it is disposed, even a file that replaced its socket meanwhile.
    // The mode is set between bind and listen: until listen, a connect is refused whatever the mode.
    private static BoundListener BindUnixPath(ProxyEndpoint endpoint, string path, ProxyOptions options)
    {
        UnixSocketFile.PrepareForBind(endpoint, path);
        int fd = NativeSocket.TryCreateStream(AddressFamily.Unix, out int errno);
        if (fd < 0) throw Translate(endpoint, "socket", errno);
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        UnixSocketFile? file = null;
        try
        {
            errno = NativeSocket.Bind(fd, new UnixDomainSocketEndPoint(path).Serialize());
            if (errno != 0) throw Translate(endpoint, "bind", errno);
            file = UnixSocketFile.AfterBind(endpoint, path, options.UnixSocketMode);
            errno = NativeSocket.Listen(fd, options.ListenBacklog);
            if (errno != 0) throw Translate(endpoint, "listen", errno);
            return new BoundListener(new Socket(handle), endpoint, file);
        }
        catch
        {
            handle.Dispose();
            file?.RemoveIfStillOurs();
            throw;
        }
    }

    private static ProxyStartException Translate(ProxyEndpoint endpoint, string call, int errno)
    {
        (ProxyStartFailure failure, string why) = errno switch
        {
            Errno.EADDRINUSE => (ProxyStartFailure.AddressInUse, "the path is already in use by another socket"),
            Errno.EACCES or Errno.EPERM => (ProxyStartFailure.PermissionDenied, "permission denied (a Unix socket needs write access to its directory)"),
            Errno.ENOENT or Errno.ENOTDIR => (ProxyStartFailure.ListenDirectoryNotFound, "the directory of the path does not exist"),
            _ => (ProxyStartFailure.ListenFailed, $"{call} failed: {Errno.Describe(errno)}"),
        };
        return new ProxyStartException(failure, endpoint.Text, $"Cannot listen on '{endpoint.Text}': {why}.");
    }

    private static ProxyStartException Translate(ProxyEndpoint endpoint, SocketException e)
    {
        (ProxyStartFailure failure, string why) = e.SocketErrorCode switch
        {
            SocketError.AddressAlreadyInUse => (ProxyStartFailure.AddressInUse, "the address is already in use by another socket"),
            SocketError.AccessDenied => (ProxyStartFailure.PermissionDenied, endpoint.IsUnix
                ? "permission denied (a Unix socket needs write access to its directory)"
                : "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)"),
            SocketError.AddressNotAvailable when endpoint.IsUnix => (ProxyStartFailure.ListenDirectoryNotFound, "the directory of the path does not exist"),
            SocketError.AddressNotAvailable => (ProxyStartFailure.AddressNotAvailable, "no local interface has that address"),
            _ => (ProxyStartFailure.ListenFailed, e.Message),
        };
        return new ProxyStartException(failure, endpoint.Text, $"Cannot listen on '{endpoint.Text}': {why}.", e);
    }
}
