using System.Globalization;
using System.Net.Sockets;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS;

/// <summary>
/// Reads an endpoint the way a user typed it at the prompt. <see cref="ProxyEndpoint.Parse"/> knows the
/// forms; this adds what only matters for typed text: invisible characters and stray white space are
/// refused rather than trimmed away, a host must look like a host (no DNS lookup for '*' or '300.1.1.1'),
/// a named IPv6 scope must exist, port 0 is refused where something is connected to, and a relative Unix
/// path is taken relative to PowerShell's location. Every refusal is a <see cref="FormatException"/>.
/// </summary>
internal static class EndpointArgument
{
    public static ProxyEndpoint Parse(string text, EndpointRole role, string currentDirectory)
    {
        int invisible = IndexOfInvisible(text);
        if (invisible >= 0)
            throw new FormatException($"'{Show(text)}' contains {Describe(text[invisible])} at position {invisible + 1}: an endpoint is one line of visible characters.");
        if (!string.IsNullOrWhiteSpace(text) && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])))
            throw new FormatException($"'{text}' starts or ends with white space: write '{text.Trim()}'.");

        ProxyEndpoint endpoint = ProxyEndpoint.Parse(text);
        if (endpoint.IsUnix) return ResolveUnix(endpoint, currentDirectory);
        if (endpoint.Host is { } host) CheckHost(endpoint, host, role);
        if (endpoint.Port == 0 && role != EndpointRole.Listen)
        {
            throw new FormatException(role == EndpointRole.Target
                ? $"'{text}' has port 0, which no service listens on: give the target's real port. (Port 0 means \"any free port\" only for -Listen.)"
                : $"'{text}' has port 0, which cannot be connected to: give the port the endpoint listens on.");
        }
        return endpoint;
    }

    /// <summary>Text with its control and invisible formatting characters written as PowerShell escapes (`n, `0, `u{200B}).</summary>
    public static string Show(string text)
    {
        var shown = new System.Text.StringBuilder(text.Length);
        foreach (char c in text) shown.Append(IsInvisible(c) ? Escape(c) : c.ToString());
        return shown.ToString();
    }

    /// <summary>The first control or invisible formatting character, or -1.</summary>
    public static int IndexOfInvisible(string text)
    {
        for (int i = 0; i < text.Length; i++)
            if (IsInvisible(text[i])) return i;
        return -1;
    }

    /// <summary>"a newline (`n)", "the invisible character U+200B (`u{200B})".</summary>
    public static string Describe(char c) => c switch
    {
        '\0' => "a NUL character (`0)",
        '\t' => "a tab (`t)",
        '\n' => "a newline (`n)",
        '\r' => "a carriage return (`r)",
        '\u001b' => "an escape character (`e)",
        _ when char.IsControl(c) => $"the control character U+{(int)c:X4} ({Escape(c)})",
        _ => $"the invisible character U+{(int)c:X4} ({Escape(c)})",
    };

    // Control characters, and the formatting ones that change or hide how text looks (zero-width space,
    // right-to-left override, line and paragraph separators): none belongs in a name or an address.
    private static bool IsInvisible(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Escape(char c) => c switch
    {
        '\0' => "`0",
        '\t' => "`t",
        '\n' => "`n",
        '\r' => "`r",
        '\u001b' => "`e",
        _ => $"`u{{{(int)c:X}}}",
    };

    private static ProxyEndpoint ResolveUnix(ProxyEndpoint endpoint, string currentDirectory)
    {
        string path = endpoint.UnixPath!;
        string name = endpoint.IsAbstractUnix ? path[1..] : path;
        if (char.IsWhiteSpace(name[0]) || char.IsWhiteSpace(name[^1]))
            throw new FormatException($"The socket {(endpoint.IsAbstractUnix ? "name" : "path")} in '{endpoint.Text}' starts or ends with white space: " +
                $"write 'unix:{(endpoint.IsAbstractUnix ? "@" : "")}{name.Trim()}'.");
        // A relative path means relative to PowerShell's location ($PWD), which is not the process's
        // working directory; the engine only ever sees the full path.
        if (endpoint.IsAbstractUnix || Path.IsPathRooted(path)) return endpoint;
        return ProxyEndpoint.Parse("unix:" + Path.GetFullPath(path, currentDirectory));
    }

    private static void CheckHost(ProxyEndpoint endpoint, string host, EndpointRole role)
    {
        if (endpoint.Address is { } address)
        {
            // IPAddress.Parse drops a scope it cannot resolve ("fe80::1%nosuchif" becomes "fe80::1").
            int percent = host.IndexOf('%');
            if (address.AddressFamily == AddressFamily.InterNetworkV6 && percent >= 0 && address.ScopeId == 0 && host[(percent + 1)..] != "0")
                throw new FormatException($"'{endpoint.Text}' names the network interface '{host[(percent + 1)..]}', which this machine does not have (see 'ip link').");
            return;
        }

        if (host.Contains('*') || host.Contains('?'))
        {
            throw new FormatException(host == "*" && role == EndpointRole.Listen
                ? $"'*' in '{endpoint.Text}' is not a host: to listen on every interface give the port alone, {endpoint.Port}."
                : $"'{host}' in '{endpoint.Text}' is not a host name: a host name has no wildcards.");
        }
        if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
            throw new FormatException($"'{host}' in '{endpoint.Text}' is not an IPv4 address: that is four numbers from 0 to 255, for example 192.0.2.10.");
        char bad = host.FirstOrDefault(c => !(char.IsLetterOrDigit(c) || c is '-' or '.' or '_'));
        if (bad != default)
            throw new FormatException($"'{host}' in '{endpoint.Text}' is not a host name: '{bad}' cannot appear in one.");
    }
}
