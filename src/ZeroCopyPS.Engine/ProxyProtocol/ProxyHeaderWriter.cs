using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroCopyPS.Engine.ProxyProtocol;

/// <summary>
/// Builds the PROXY protocol header a proxy writes to its target (HAProxy's proxy-protocol.txt):
/// source is the original client, destination the address it connected to. IPv4 clients of a
/// dual-stack listener are written as the IPv4 they are. A client without an IP address (a Unix
/// socket) is written as v1 UNKNOWN or v2 PROXY with family UNSPEC, as the specification advises.
/// </summary>
internal static class ProxyHeaderWriter
{
    public static byte[] Build(ProxyProtocolVersion version, EndPoint? source, EndPoint? destination)
    {
        (IPEndPoint? from, IPEndPoint? to) = SameFamily(source as IPEndPoint, destination as IPEndPoint);
        return version switch
        {
            ProxyProtocolVersion.V1 => V1(from, to),
            ProxyProtocolVersion.V2 => V2(from, to),
            _ => [],
        };
    }

    private static byte[] V1(IPEndPoint? from, IPEndPoint? to)
    {
        if (from is null || to is null) return "PROXY UNKNOWN\r\n"u8.ToArray();
        string family = from.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        return Encoding.ASCII.GetBytes($"PROXY {family} {Format(from.Address)} {Format(to.Address)} {from.Port} {to.Port}\r\n");
    }

    private static byte[] V2(IPEndPoint? from, IPEndPoint? to)
    {
        bool known = from is not null && to is not null;
        bool v4 = known && from!.AddressFamily == AddressFamily.InterNetwork;
        int addressBytes = !known ? 0 : v4 ? 12 : 36;
        byte[] header = new byte[16 + addressBytes];
        ProxyHeaderParser.V2Signature.CopyTo(header);
        header[12] = 0x21;                                  // version 2, command PROXY
        header[13] = (byte)(!known ? 0x00 : v4 ? 0x11 : 0x21); // UNSPEC, TCP over IPv4, TCP over IPv6
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)addressBytes);
        if (known)
        {
            int size = v4 ? 4 : 16;
            from!.Address.TryWriteBytes(header.AsSpan(16, size), out _);
            to!.Address.TryWriteBytes(header.AsSpan(16 + size, size), out _);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + 2 * size), (ushort)from.Port);
            BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + 2 * size), (ushort)to.Port);
        }
        return header;
    }

    // Both ends in one family: IPv4-mapped addresses become IPv4; a true IPv4/IPv6 mix goes out as IPv6.
    private static (IPEndPoint?, IPEndPoint?) SameFamily(IPEndPoint? from, IPEndPoint? to)
    {
        if (from is null || to is null) return (null, null);
        from = Unmapped(from);
        to = Unmapped(to);
        if (from.AddressFamily == to.AddressFamily) return (from, to);
        return (Mapped(from), Mapped(to));
    }

    private static IPEndPoint Unmapped(IPEndPoint endPoint) =>
        endPoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port) : endPoint;

    private static IPEndPoint Mapped(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetwork ? new IPEndPoint(endPoint.Address.MapToIPv6(), endPoint.Port) : endPoint;

    // v1 wants hexadecimal groups for IPv6, never a dotted quad (which .NET prints for mapped addresses).
    private static string Format(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork) return address.ToString();
        byte[] bytes = address.GetAddressBytes();
        var groups = new string[8];
        for (int i = 0; i < 8; i++) groups[i] = ((bytes[2 * i] << 8) | bytes[2 * i + 1]).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        (int start, int length) = (-1, 0);
        for (int i = 0; i < 8;)
        {
            if (groups[i] != "0") { i++; continue; }
            int j = i;
            while (j < 8 && groups[j] == "0") j++;
            if (j - i > length && j - i > 1) (start, length) = (i, j - i);
            i = j;
        }
        if (start < 0) return string.Join(':', groups);
        return string.Join(':', groups[..start]) + "::" + string.Join(':', groups[(start + length)..]);
    }
}
