using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Proxy;

/// <summary>
/// Turns the configured target into the addresses to try, in order. Literals and Unix paths are
/// resolved once; host names are looked up per connection so a DNS change reaches new connections.
/// </summary>
internal sealed class TargetResolver
{
    private readonly ProxyEndpoint _target;
    private readonly EndPoint[]? _static;

    public TargetResolver(ProxyEndpoint target)
    {
        _target = target;
        if (target.IsUnix) _static = [target.ToUnixEndPoint()];
        else if (target.Address is { } ip) _static = [new IPEndPoint(ip, target.Port)];
        // A bare port as target means this machine.
        else if (target.Host is null) _static = [new IPEndPoint(IPAddress.Loopback, target.Port), new IPEndPoint(IPAddress.IPv6Loopback, target.Port)];
    }

    /// <summary>The addresses, when no lookup is needed.</summary>
    public EndPoint[]? StaticEndPoints => _static;

    public string Text => _target.Text;

    public async Task<EndPoint[]> ResolveAsync()
    {
        if (_static is not null) return _static;
        IPAddress[] addresses = await Dns.GetHostAddressesAsync(_target.Host!).ConfigureAwait(false);
        EndPoint[] endPoints = addresses
            .Where(a => a.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(a => (EndPoint)new IPEndPoint(a, _target.Port))
            .ToArray();
        if (endPoints.Length == 0) throw new SocketException((int)SocketError.HostNotFound);
        return endPoints;
    }
}
