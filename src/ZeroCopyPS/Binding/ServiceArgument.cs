using System.Net;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Reads Start-ZeroCopyProxy's service arguments as typed: a file path (-LogPath, -HandOverPath) relative to
/// PowerShell's location like a unix:path in <see cref="EndpointArgument"/>, and the -MetricsListen address,
/// which must be an IP address (or localhost) because the metrics endpoint binds it without a lookup. Every
/// refusal is a <see cref="FormatException"/>.
/// </summary>
internal static class ServiceArgument
{
    /// <summary>The full path of <paramref name="text"/>, relative to <paramref name="currentDirectory"/> ($PWD, not the process's directory).</summary>
    public static string ResolvePath(string text, string currentDirectory)
    {
        int invisible = EndpointArgument.IndexOfInvisible(text);
        if (invisible >= 0)
            throw new FormatException($"'{EndpointArgument.Show(text)}' contains {EndpointArgument.Describe(text[invisible])} at position {invisible + 1}: a path is one line of visible characters.");
        if (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1]))
            throw new FormatException($"'{text}' starts or ends with white space: write '{text.Trim()}'.");
        string full = Path.GetFullPath(text, currentDirectory);
        if (Directory.Exists(full) || full.EndsWith('/'))
            throw new FormatException($"'{text}' is a directory: give the path of a file in it.");
        return full;
    }

    /// <summary>PORT (every interface), IP:PORT, [IPv6]:PORT or localhost:PORT; port 0 takes a free port.</summary>
    public static IPEndPoint ParseMetricsEndpoint(string text, string currentDirectory)
    {
        ProxyEndpoint endpoint = EndpointArgument.Parse(text, EndpointRole.Listen, currentDirectory);
        if (endpoint.IsUnix)
            throw new FormatException($"'{text}' is a Unix socket: the metrics endpoint is HTTP over TCP, for example 127.0.0.1:9100.");
        if (endpoint.Host is null) return new IPEndPoint(IPAddress.Any, endpoint.Port);
        if (endpoint.Address is { } address) return new IPEndPoint(address, endpoint.Port);
        if (string.Equals(endpoint.Host, "localhost", StringComparison.OrdinalIgnoreCase)) return new IPEndPoint(IPAddress.Loopback, endpoint.Port);
        throw new FormatException($"'{endpoint.Host}' in '{text}' is a host name: the metrics endpoint needs an address of this machine, for example 127.0.0.1:{endpoint.Port}.");
    }
}
