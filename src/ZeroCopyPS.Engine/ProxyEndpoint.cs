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

        // Before any colon counting: a URL has colons of its own, and "bare IPv6" would be the wrong diagnosis.
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0)
            throw new FormatException($"'{text}' is a URL. An endpoint has no scheme ({text[..(scheme + 3)]}) and no path: write {WithoutScheme(text[(scheme + 3)..])}.");

        if (text.StartsWith('['))
        {
            int close = text.IndexOf(']');
            if (close < 0)
                throw new FormatException($"'{text}' opens an IPv6 bracket but never closes it. Use [IPv6]:PORT, for example [::1]:8080.");
            string inner = text[1..close];
            if (inner.Length == 0)
                throw new FormatException($"'{text}' has nothing between the brackets. Use [IPv6]:PORT, for example [::1]:8080.");
            if (!IPAddress.TryParse(inner, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                throw new FormatException(IPAddress.TryParse(inner, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork
                    ? $"'{inner}' in '{text}' is an IPv4 address, which takes no brackets: write {inner}{text[(close + 1)..]}."
                    : $"'{inner}' in '{text}' is not an IPv6 address.");
            if (close + 1 >= text.Length || text[close + 1] != ':')
                throw new FormatException($"'{text}' has no port after the IPv6 address. Use [IPv6]:PORT, for example [{inner}]:8080.");
            return new ProxyEndpoint(text, inner, ParsePort(text[(close + 2)..], text), null);
        }

        int colon = text.LastIndexOf(':');
        if (colon < 0)
            return new ProxyEndpoint(text, null, ParsePort(text, text), null);

        if (text.IndexOf(':') != colon)
            throw new FormatException(DescribeManyColons(text, colon));

        string host = text[..colon];
        if (host.Length == 0)
            throw new FormatException($"'{text}' has an empty host. Use PORT alone to listen on every interface, or HOST:PORT.");
        if (host.Any(c => char.IsWhiteSpace(c) || c == '/' || c == '@'))
            throw new FormatException($"'{host}' in '{text}' is not a valid host name.");
        return new ProxyEndpoint(text, host, ParsePort(text[(colon + 1)..], text), null);
    }

    // Protocol prefixes people carry over from URLs and other tools' address syntax.
    private static readonly string[] SchemeNames = ["tcp", "tcp4", "tcp6", "udp", "ip", "http", "https", "ws", "wss", "tls", "ssl"];

    // More than one ':' outside brackets: an IPv6 address without brackets, a scheme, or one port too many.
    private static string DescribeManyColons(string text, int lastColon)
    {
        string head = text[..lastColon];
        if (IPAddress.TryParse(head, out var prefix) && prefix.AddressFamily == AddressFamily.InterNetworkV6)
            return $"'{text}' looks like a bare IPv6 address with a port. Put the address in brackets: [{head}]:{text[(lastColon + 1)..]}.";
        if (IPAddress.TryParse(text, out var whole) && whole.AddressFamily == AddressFamily.InterNetworkV6)
            return $"'{text}' is an IPv6 address with no port. Put the address in brackets and add the port: [{text}]:8080.";
        string word = text[..text.IndexOf(':')];
        if (SchemeNames.Contains(word, StringComparer.OrdinalIgnoreCase))
            return $"'{text}' starts with '{word}:', which is not part of an endpoint: write {text[(word.Length + 1)..]}.";
        return $"'{text}' has more than one ':'. Write HOST:PORT with a single port, or [IPv6]:PORT for an IPv6 address.";
    }

    // "x:1/path" -> "x:1"; a URL without a port gets a placeholder the user has to fill in.
    private static string WithoutScheme(string rest)
    {
        int slash = rest.IndexOfAny(['/', '?', '#']);
        string authority = slash < 0 ? rest : rest[..slash];
        if (authority.Length == 0) return "HOST:PORT";
        return authority.LastIndexOf(':') > authority.LastIndexOf(']') ? authority : authority + ":PORT";
    }

    private static ProxyEndpoint ParseUnix(string text)
    {
        string path = text[5..];
        if (path.Length == 0)
            throw new FormatException($"'{text}' names no socket. Use unix:/path/to.sock or unix:@abstract-name.");
        if (path == "@")
            throw new FormatException($"'{text}' names an empty abstract socket. Use unix:@name.");
        if (path.Contains('\0'))
            throw new FormatException($"The Unix socket path in '{text.Replace("\0", "\\0")}' contains a NUL character, which ends a path.");
        int bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxUnixPathBytes)
            throw new FormatException($"The Unix socket path in '{text}' is {bytes} bytes long (UTF-8); Linux allows at most {MaxUnixPathBytes}.");
        return new ProxyEndpoint(text, null, 0, path);
    }

    private static int ParsePort(string portText, string whole)
    {
        // Say where the bad port is only when there is more than the port.
        string where = portText == whole ? $"'{portText}'" : $"'{portText}' in '{whole}'";
        if (portText.Length == 0)
            throw new FormatException($"'{whole}' has no port. Add one, for example {whole.TrimEnd(':')}:8080.");
        string port = portText == whole ? $"Port {portText}" : $"Port {portText} in '{whole}'";
        if (int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            if (number > 65535)
                throw new FormatException($"{port} is out of range: ports go from 0 to 65535.");
            return number;
        }
        if (portText.All(char.IsAsciiDigit))
            throw new FormatException($"{port} is out of range: ports go from 0 to 65535.");
        if (portText[0] == '-' && portText.Length > 1 && portText[1..].All(char.IsAsciiDigit))
            throw new FormatException($"{port} is negative: ports go from 0 to 65535.");
        if (portText.All(char.IsDigit))
        {
            string ascii = string.Concat(portText.Select(c => (char)('0' + (int)char.GetNumericValue(c))));
            throw new FormatException($"{where} is written with non-ASCII digits. Write the port with the digits 0-9: {ascii}.");
        }
        if (portText == whole && !portText.Any(char.IsDigit))
            throw new FormatException($"'{whole}' is neither a port number nor HOST:PORT. Write PORT, HOST:PORT, [IPv6]:PORT, unix:/path or unix:@name.");
        return portText == whole
            ? throw new FormatException($"{where} is not a port number: write the port in decimal digits only, 0-65535.")
            : throw new FormatException($"{where} is not a port number (0-65535).");
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
