using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.Engine;

/// <summary>
/// A listen or target address as a user writes it: <c>8080</c>, <c>host:port</c>, <c>[v6]:port</c>,
/// <c>unix:/path</c> or the Linux abstract <c>unix:@name</c>.
/// </summary>
public sealed class ProxyEndpoint
{
    private ProxyEndpoint(string text, string? host, int port, string? unixPath)
    {
        Text = text;
        Host = host;
        Port = port;
        UnixPath = unixPath;
    }

    /// <summary>sockaddr_un.sun_path holds 108 bytes including the terminating NUL (or an abstract name's leading NUL).</summary>
    public const int MaxUnixPathBytes = 107;

    /// <summary>The text the endpoint was parsed from.</summary>
    public string Text { get; }

    /// <summary>Host name or address literal; null for a bare port (all interfaces) or a Unix socket.</summary>
    public string? Host { get; }

    /// <summary>TCP port; 0 for Unix sockets or "any free port".</summary>
    public int Port { get; }

    /// <summary>Unix socket path; an abstract name starts with '@'. Null for TCP.</summary>
    public string? UnixPath { get; }

    public bool IsUnix => UnixPath is not null;

    public bool IsAbstractUnix => UnixPath is not null && UnixPath.StartsWith('@');

    /// <summary>True for a bare port: listen on every interface, IPv6 and IPv4.</summary>
    public bool IsAnyInterface => UnixPath is null && Host is null;

    /// <summary>An IP literal host, or null when the host is a name (or absent).</summary>
    public IPAddress? Address => Host is not null && IPAddress.TryParse(Host, out var ip) ? ip : null;

    public override string ToString() => Text;

    /// <summary>Parses an endpoint or throws <see cref="FormatException"/> saying exactly what is wrong.</summary>
    public static ProxyEndpoint Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new FormatException("The endpoint is empty. Use PORT, HOST:PORT, [IPv6]:PORT, unix:/path or unix:@name.");
        text = text.Trim();

        if (text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
            return ParseUnix(text);

        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0)
                throw new FormatException($"'{text}' opens an IPv6 bracket but never closes it. Use [IPv6]:PORT, for example [::1]:8080.");
            string inner = text[1..close];
            if (!IPAddress.TryParse(inner, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                throw new FormatException($"'{inner}' in '{text}' is not an IPv6 address.");
            if (close + 1 >= text.Length || text[close + 1] != ':')
                throw new FormatException($"'{text}' has no port after the IPv6 address. Use [IPv6]:PORT, for example [::1]:8080.");
            return new ProxyEndpoint(text, inner, ParsePort(text[(close + 2)..], text), null);
        }

        int colon = text.LastIndexOf(':');
        if (colon < 0)
            return new ProxyEndpoint(text, null, ParsePort(text, text), null);

        if (text.IndexOf(':') != colon)
            throw new FormatException($"'{text}' looks like a bare IPv6 address. Put it in brackets: [{text[..colon]}]:{text[(colon + 1)..]}.");

        string host = text[..colon];
        if (host.Length == 0)
            throw new FormatException($"'{text}' has an empty host. Use PORT alone to listen on every interface, or HOST:PORT.");
        if (host.Any(c => char.IsWhiteSpace(c) || c == '/' || c == '@'))
            throw new FormatException($"'{host}' in '{text}' is not a valid host name.");
        return new ProxyEndpoint(text, host, ParsePort(text[(colon + 1)..], text), null);
    }

    private static ProxyEndpoint ParseUnix(string text)
    {
        string path = text[5..];
        if (path.Length == 0)
            throw new FormatException($"'{text}' names no socket. Use unix:/path/to.sock or unix:@abstract-name.");
        if (path == "@")
            throw new FormatException($"'{text}' names an empty abstract socket. Use unix:@name.");
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxUnixPathBytes)
            throw new FormatException($"The Unix socket path in '{text}' is {bytes} bytes long; Linux allows at most {MaxUnixPathBytes}.");
        if (path.Contains('\0'))
            throw new FormatException($"The Unix socket path in '{text}' contains a NUL character.");
        return new ProxyEndpoint(text, null, 0, path);
    }

    private static int ParsePort(string portText, string whole)
    {
        if (portText.Length == 0)
            throw new FormatException($"'{whole}' has no port. Add one, for example {whole.TrimEnd(':')}:8080.");
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
            throw new FormatException($"'{portText}' in '{whole}' is not a port number (0-65535).");
        if (port > 65535)
            throw new FormatException($"Port {port} in '{whole}' is out of range: ports go from 0 to 65535.");
        return port;
    }

    /// <summary>The socket address for a Unix endpoint (abstract names get their leading NUL).</summary>
    public UnixDomainSocketEndPoint ToUnixEndPoint()
    {
        if (UnixPath is null) throw new InvalidOperationException($"'{Text}' is not a Unix socket endpoint.");
        return new UnixDomainSocketEndPoint(IsAbstractUnix ? "\0" + UnixPath[1..] : UnixPath);
    }

    /// <summary>Formats an endpoint the way a user would write it back.</summary>
    public static string Format(EndPoint? endPoint) => endPoint switch
    {
        null => "",
        // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; show them as the IPv4 they are.
        IPEndPoint ip when ip.Address.IsIPv4MappedToIPv6 => $"{ip.Address.MapToIPv4()}:{ip.Port}",
        IPEndPoint ip when ip.AddressFamily == AddressFamily.InterNetworkV6 => $"[{ip.Address}]:{ip.Port}",
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        UnixDomainSocketEndPoint unix => "unix:" + FormatUnixPath(unix.ToString()),
        _ => endPoint.ToString() ?? "",
    };

    private static string FormatUnixPath(string path) => path.StartsWith('\0') ? "@" + path[1..] : path;
}
