using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Policy;

/// <summary>
/// Who may connect: denied ranges first, then, when there are allowed ranges, only those. An IPv4
/// client of a dual-stack listener (::ffff:a.b.c.d) matches its IPv4 ranges. A client without an IP
/// address (a Unix socket) is not filtered: it has no address to match. Immutable, thread-safe.
/// </summary>
internal sealed class ClientFilter
{
    private readonly IPNetwork[] _allow;
    private readonly IPNetwork[] _deny;

    public ClientFilter(IReadOnlyList<IPNetwork> allow, IReadOnlyList<IPNetwork> deny)
    {
        _allow = allow.ToArray();
        _deny = deny.ToArray();
    }

    public bool IsEmpty => _allow.Length == 0 && _deny.Length == 0;

    public bool Admits(EndPoint? client)
    {
        if (IsEmpty || client is not IPEndPoint { Address: var address }) return true;
        if (_deny.Any(range => Contains(range, address))) return false;
        return _allow.Length == 0 || _allow.Any(range => Contains(range, address));
    }

    private static bool Contains(IPNetwork range, IPAddress address)
    {
        if (range.BaseAddress.AddressFamily == address.AddressFamily) return range.Contains(address);
        if (address.IsIPv4MappedToIPv6) return range.Contains(address.MapToIPv4());
        return address.AddressFamily == AddressFamily.InterNetwork && range.Contains(address.MapToIPv6());
    }
}
