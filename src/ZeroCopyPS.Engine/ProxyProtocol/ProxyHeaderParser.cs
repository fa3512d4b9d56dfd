using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZeroCopyPS.Engine.ProxyProtocol;

/// <summary>
/// Reads a PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2) strictly, from the
/// bytes peeked at the start of a connection: anything that does not exactly match is invalid and the
/// connection is dropped, as the specification demands. At most <see cref="MaxHeaderBytes"/> are ever
/// looked at (both versions fit the 536-byte minimum TCP segment); v2 TLVs are skipped after their
/// framing is checked, never interpreted. Pure: no I/O, no state.
/// </summary>
internal static class ProxyHeaderParser
{
    /// <summary>The smallest TCP segment every host must accept: the specification fits both versions in it.</summary>
    public const int MaxHeaderBytes = 536;

    private const int V1MaxLineBytes = 107;
    private const int V2FixedBytes = 16;

    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    public static ProxyHeaderStatus Parse(ReadOnlySpan<byte> data, out ProxyHeader? header, out string? error)
    {
        header = null;
        error = null;
        if (data.Length == 0) return ProxyHeaderStatus.Incomplete;
        if (data[0] == V2Signature[0] && StartsLike(data, V2Signature)) return ParseV2(data, out header, out error);
        if (data[0] == V1Prefix[0] && StartsLike(data, V1Prefix)) return ParseV1(data, out header, out error);
        error = "the connection does not start with a PROXY protocol header";
        return ProxyHeaderStatus.Invalid;
    }

    // True when data is a prefix of the signature or the signature a prefix of data.
    private static bool StartsLike(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        data.Length >= signature.Length ? data.StartsWith(signature) : signature.StartsWith(data);

    private static ProxyHeaderStatus ParseV1(ReadOnlySpan<byte> data, out ProxyHeader? header, out string? error)
    {
        header = null;
        error = null;
        int window = Math.Min(data.Length, V1MaxLineBytes);
        int lf = data[..window].IndexOf((byte)'\n');
        int cr = data[..window].IndexOf((byte)'\r');
        if (lf < 0)
        {
            if (cr >= 0 && cr < window - 1) return Invalid("a lone CR in the PROXY line", out error);
            if (data.Length >= V1MaxLineBytes) return Invalid("no CRLF within the 107 bytes a PROXY v1 line may take", out error);
            return ProxyHeaderStatus.Incomplete;
        }
        if (cr != lf - 1) return Invalid("the PROXY line does not end with CRLF", out error);
        string line = Encoding.ASCII.GetString(data[..cr]);
        if (line.Any(c => c > 0x7E || c < 0x20)) return Invalid("the PROXY line holds a character that is not printable US-ASCII", out error);
        string[] parts = line.Split(' ');
        if (parts.Length >= 2 && parts[0] == "PROXY" && parts[1] == "UNKNOWN")
        {
            header = new ProxyHeader(lf + 1, null, null);
            return ProxyHeaderStatus.Complete;
        }
        if (parts.Length != 6 || parts[0] != "PROXY") return Invalid("the PROXY line does not have exactly six fields separated by single spaces", out error);
        AddressFamily family = parts[1] switch
        {
            "TCP4" => AddressFamily.InterNetwork,
            "TCP6" => AddressFamily.InterNetworkV6,
            _ => AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown) return Invalid($"'{parts[1]}' is not TCP4, TCP6 or UNKNOWN", out error);
        if (!TryAddress(parts[2], family, out IPAddress? source) || !TryAddress(parts[3], family, out IPAddress? destination))
            return Invalid($"an address of the PROXY line is not a canonical {parts[1]} address", out error);
        if (!TryPort(parts[4], out int sourcePort) || !TryPort(parts[5], out int destinationPort))
            return Invalid("a port of the PROXY line is not a decimal number from 0 to 65535 without leading zeros", out error);
        header = new ProxyHeader(lf + 1, new IPEndPoint(source!, sourcePort), new IPEndPoint(destination!, destinationPort));
        return ProxyHeaderStatus.Complete;
    }

    private static ProxyHeaderStatus ParseV2(ReadOnlySpan<byte> data, out ProxyHeader? header, out string? error)
    {
        header = null;
        error = null;
        if (data.Length < V2FixedBytes) return ProxyHeaderStatus.Incomplete;
        byte versionCommand = data[12], familyTransport = data[13];
        if (versionCommand >> 4 != 2) return Invalid($"PROXY v2 header with version {versionCommand >> 4}", out error);
        int command = versionCommand & 0x0F;
        if (command > 1) return Invalid($"PROXY v2 header with unassigned command {command}", out error);
        int family = familyTransport >> 4, transport = familyTransport & 0x0F;
        if (family > 3 || transport > 2) return Invalid($"PROXY v2 header with unassigned family/transport 0x{familyTransport:x2}", out error);
        int length = BinaryPrimitives.ReadUInt16BigEndian(data[14..16]);
        if (V2FixedBytes + length > MaxHeaderBytes) return Invalid($"PROXY v2 header of {V2FixedBytes + length} bytes, more than {MaxHeaderBytes}", out error);
        if (data.Length < V2FixedBytes + length) return ProxyHeaderStatus.Incomplete;
        ReadOnlySpan<byte> block = data.Slice(V2FixedBytes, length);
        int addressBytes = family switch { 1 => 12, 2 => 36, 3 => 216, _ => 0 };
        if (command == 1 && transport == 2) return Invalid("PROXY v2 header for a datagram connection arriving on a stream", out error);
        if (command == 1 && family != 0 && transport == 0) return Invalid("PROXY v2 header with an address family but no transport", out error);
        if (command == 1 && length < addressBytes) return Invalid($"PROXY v2 address block of {length} bytes, {addressBytes} needed", out error);
        if (command == 1 && !TlvsAreFramed(block[addressBytes..])) return Invalid("PROXY v2 TLVs run past the header", out error);
        (IPEndPoint? source, IPEndPoint? destination) = command == 1 && transport == 1 ? Addresses(block, family) : (null, null);
        header = new ProxyHeader(V2FixedBytes + length, source, destination);
        return ProxyHeaderStatus.Complete;
    }

    private static (IPEndPoint?, IPEndPoint?) Addresses(ReadOnlySpan<byte> block, int family)
    {
        if (family == 1)
            return (new IPEndPoint(new IPAddress(block[0..4]), BinaryPrimitives.ReadUInt16BigEndian(block[8..10])),
                    new IPEndPoint(new IPAddress(block[4..8]), BinaryPrimitives.ReadUInt16BigEndian(block[10..12])));
        if (family == 2)
            return (new IPEndPoint(new IPAddress(block[0..16]), BinaryPrimitives.ReadUInt16BigEndian(block[32..34])),
                    new IPEndPoint(new IPAddress(block[16..32]), BinaryPrimitives.ReadUInt16BigEndian(block[34..36])));
        return (null, null); // AF_UNIX or UNSPEC: the connection's own addresses stand
    }

    // Each TLV: type (1), length (2, big endian), value: every one must end inside the block.
    private static bool TlvsAreFramed(ReadOnlySpan<byte> tlvs)
    {
        while (tlvs.Length > 0)
        {
            if (tlvs.Length < 3) return false;
            int valueLength = BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..3]);
            if (3 + valueLength > tlvs.Length) return false;
            tlvs = tlvs[(3 + valueLength)..];
        }
        return true;
    }

    private static bool TryAddress(string text, AddressFamily family, out IPAddress? address)
    {
        address = null;
        if (family == AddressFamily.InterNetwork)
        {
            string[] octets = text.Split('.');
            if (octets.Length != 4 || octets.Any(o => !TryDecimal(o, 255, out _))) return false;
        }
        else if (text.Length == 0 || text.Any(c => !(char.IsAsciiHexDigit(c) || c == ':'))) return false; // no dotted quad, no scope
        return IPAddress.TryParse(text, out address) && address.AddressFamily == family;
    }

    private static bool TryPort(string text, out int port) => TryDecimal(text, 65535, out port);

    private static bool TryDecimal(string text, int maximum, out int value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 5 || (text.Length > 1 && text[0] == '0') || text.Any(c => !char.IsAsciiDigit(c))) return false;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= maximum;
    }

    private static ProxyHeaderStatus Invalid(string why, out string? error)
    {
        error = why;
        return ProxyHeaderStatus.Invalid;
    }
}
