using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS.LoadGen;

/// <summary>"--name value" pairs after the command word. Unknown names are an error, not silently ignored.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _used = new(StringComparer.OrdinalIgnoreCase);

    public Arguments(IEnumerable<string> args)
    {
        using IEnumerator<string> e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string name = e.Current;
            if (!name.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --name, got '{name}'.");
            if (!e.MoveNext()) throw new ArgumentException($"{name} needs a value.");
            _values[name[2..]] = e.Current;
        }
    }

    public string String(string name, string? fallback = null) =>
        Use(name) ?? fallback ?? throw new ArgumentException($"--{name} is required.");

    public int Int(string name, int fallback) =>
        Use(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public long Long(string name, long fallback) =>
        Use(name) is { } text ? long.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        Use(name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>A loopback endpoint (127.0.0.0/8 or ::1). Anything else is refused: this tool stays on the machine.</summary>
    public IPEndPoint Endpoint(string name, string? fallback = null)
    {
        string text = String(name, fallback);
        if (!IPEndPoint.TryParse(text, out IPEndPoint? endPoint))
            throw new ArgumentException($"--{name} '{text}' is not an IP:PORT endpoint.");
        if (!IPAddress.IsLoopback(endPoint.Address))
            throw new ArgumentException($"--{name} '{text}' is not a loopback address; this tool only talks to 127.0.0.0/8 and ::1.");
        return endPoint;
    }

    /// <summary>A loopback IP:PORT endpoint, or a Unix socket as unix:/path.</summary>
    public EndPoint StreamEndpoint(string name, string? fallback = null)
    {
        string text = String(name, fallback);
        if (!text.StartsWith("unix:", StringComparison.OrdinalIgnoreCase)) return Endpoint(name, fallback);
        string path = text[5..];
        if (path.Length == 0) throw new ArgumentException($"--{name} '{text}' names no socket path.");
        return new UnixDomainSocketEndPoint(path);
    }

    /// <summary>A comma-separated list of loopback addresses (for example client source addresses), or none.</summary>
    public IPAddress[] Addresses(string name)
    {
        if (Use(name) is not { } text) return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            if (!IPAddress.TryParse(part, out IPAddress? address))
                throw new ArgumentException($"--{name}: '{part}' is not an IP address.");
            if (!IPAddress.IsLoopback(address))
                throw new ArgumentException($"--{name}: '{part}' is not a loopback address; this tool only talks to 127.0.0.0/8 and ::1.");
            return address;
        }).ToArray();
    }

    /// <summary>A comma-separated list of integers, for example client counts to sweep.</summary>
    public int[] Ints(string name, int[] fallback) =>
        Use(name) is { } text
            ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray()
            : fallback;

    /// <summary>A comma-separated list of words, for example engines to run.</summary>
    public string[] Words(string name, string[] fallback) =>
        Use(name) is { } text ? text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : fallback;

    public void ThrowOnUnused()
    {
        string[] unused = _values.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unused.Length > 0) throw new ArgumentException($"Unknown option(s): {string.Join(", ", unused.Select(u => "--" + u))}.");
    }

    private string? Use(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out string? value) ? value : null;
    }
}
