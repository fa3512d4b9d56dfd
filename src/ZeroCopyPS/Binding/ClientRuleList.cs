using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;

namespace ZeroCopyPS;

/// <summary>
/// Reads -AllowClient and -DenyClient: each value an IPv4 or IPv6 address (a single host) or a CIDR range.
/// Stricter than IPNetwork.Parse alone: no host names, no white space, no bits set past the prefix
/// ('192.0.2.1/24' is refused with the range it probably meant, rather than silently widened or narrowed),
/// and no IPv6 scope. A refusal is InvalidClientRule, naming the parameter.
/// </summary>
internal static class ClientRuleList
{
    public static List<IPNetwork> Parse(PSCmdlet cmdlet, string[] rules, string parameterName)
    {
        var networks = new List<IPNetwork>(rules.Length);
        foreach (string rule in rules)
        {
            string? problem = TryParse(rule, out IPNetwork network);
            if (problem is not null) cmdlet.ThrowTerminatingError(RoutingErrors.InvalidClientRule(parameterName, rule, problem));
            networks.Add(network);
        }
        return networks;
    }

    /// <summary>Null and the network, or the problem.</summary>
    internal static string? TryParse(string rule, out IPNetwork network)
    {
        network = default;
        if (EndpointArgument.IndexOfInvisible(rule) is var invisible and >= 0)
            return $"it contains {EndpointArgument.Describe(rule[invisible])} at position {invisible + 1}.";
        if (rule.Length == 0 || rule.Any(char.IsWhiteSpace)) return "it contains white space; write the address or range alone, for example 192.0.2.0/24.";
        if (rule.Contains('*')) return "wildcards are not ranges: write 192.0.2.0/24 for 192.0.2.*, or 0.0.0.0/0 and ::/0 for everything.";
        if (rule.Contains('%')) return "an IPv6 scope (%interface) cannot be matched; leave it out.";
        int slash = rule.IndexOf('/');
        string addressText = slash < 0 ? rule : rule[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address) || !LooksLikeAddress(addressText, address))
            return $"'{EndpointArgument.Show(addressText)}' is not an IPv4 or IPv6 address (host names are not matched; give the address).";
        int maximum = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int prefix = maximum;
        if (slash >= 0 && (!int.TryParse(rule[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > maximum))
            return $"the prefix length after '/' must be a whole number from 0 to {maximum}.";
        IPAddress masked = Masked(address, prefix);
        if (!masked.Equals(address))
            return $"{address} has bits set past the /{prefix} prefix: write the range as {masked}/{prefix}, or the host as {address}.";
        network = new IPNetwork(address, prefix);
        return null;
    }

    // IPAddress.TryParse takes '1', '1.2' and '0x7f.1' as IPv4 (inet_aton forms): a client rule must be written out.
    private static bool LooksLikeAddress(string text, IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 ? text.Contains(':')
        : text.Count(c => c == '.') == 3 && text.All(c => char.IsAsciiDigit(c) || c == '.');

    private static IPAddress Masked(IPAddress address, int prefix)
    {
        byte[] bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < bytes.Length * 8; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return new IPAddress(bytes);
    }
}
