using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Engine.Tests;

public class ProxyEndpointTests
{
    [Theory]
    [InlineData("8080", null, 8080, null)]
    [InlineData("db:5432", "db", 5432, null)]
    [InlineData("127.0.0.1:0", "127.0.0.1", 0, null)]
    [InlineData("[::1]:443", "::1", 443, null)]
    [InlineData("unix:/run/app.sock", null, 0, "/run/app.sock")]
    [InlineData("unix:@abstract", null, 0, "@abstract")]
    public void Parses_every_documented_form(string text, string? host, int port, string? unixPath)
    {
        ProxyEndpoint endpoint = ProxyEndpoint.Parse(text);
        Assert.Equal(host, endpoint.Host);
        Assert.Equal(port, endpoint.Port);
        Assert.Equal(unixPath, endpoint.UnixPath);
        Assert.Equal(text, endpoint.Text);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("db:", "no port")]
    [InlineData("db:http", "not a port number")]
    [InlineData("db:70000", "out of range")]
    [InlineData(":8080", "empty host")]
    [InlineData("::1:8080", "brackets")]
    [InlineData("[::1:8080", "never closes")]
    [InlineData("[::1]", "no port")]
    [InlineData("[10.0.0.1]:80", "takes no brackets")]
    [InlineData("[zz]:80", "not an IPv6 address")]
    [InlineData("unix:", "names no socket")]
    [InlineData("unix:@", "empty abstract")]
    [InlineData("-1", "negative")]
    [InlineData("localhost:-1", "negative")]
    [InlineData("99999999999999", "out of range")]
    [InlineData("::", "IPv6 address with no port")]
    [InlineData("tcp://127.0.0.1:80", "is a URL")]
    [InlineData("http://x:1/index.html", "write x:1.")]
    [InlineData("http://x", "write x:PORT.")]
    [InlineData("tcp:127.0.0.1:80", "not part of an endpoint")]
    [InlineData("localhost:80:90", "more than one ':'")]
    [InlineData("８０", "non-ASCII digits")]
    [InlineData("host:٨٠", "digits 0-9: 80")]
    [InlineData("[127.0.0.1]:80", "IPv4 address, which takes no brackets")]
    [InlineData("[]:80", "nothing between the brackets")]
    [InlineData("*", "neither a port number nor HOST:PORT")]
    [InlineData("1e3", "decimal digits only")]
    [InlineData("unix:/tmp/a\0b", "NUL")]
    public void Rejects_malformed_endpoints_with_a_specific_message(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => ProxyEndpoint.Parse(text));
        Assert.Contains(expected, error.Message);
    }

    /// <summary>
    /// A message that proposes a spelling must propose one that parses: '::' once suggested "[:]:.".
    /// The proposal is what follows "write " or "brackets: " (or "and add the port: ") up to the final period.
    /// </summary>
    [Theory]
    [InlineData("::", "[::]:8080")]
    [InlineData("::1:8080", "[::1]:8080")]
    [InlineData("fe80::1:443", "[fe80::1]:443")]
    [InlineData("fe80::1%1", "[fe80::1%1]:8080")]
    [InlineData("2001:db8::", "[2001:db8::]:8080")]
    [InlineData("tcp://127.0.0.1:80", "127.0.0.1:80")]
    [InlineData("http://[::1]:8080/path", "[::1]:8080")]
    [InlineData("tcp:127.0.0.1:80", "127.0.0.1:80")]
    [InlineData("udp:[::1]:53", "[::1]:53")]
    [InlineData("[127.0.0.1]:80", "127.0.0.1:80")]
    [InlineData("８０８０", "8080")]
    public void Proposes_only_spellings_that_parse(string text, string proposal)
    {
        var error = Assert.Throws<FormatException>(() => ProxyEndpoint.Parse(text));
        Assert.Contains(proposal, error.Message);
        ProxyEndpoint proposed = ProxyEndpoint.Parse(proposal);
        Assert.Equal(proposal, proposed.Text);
    }

    [Fact]
    public void Rejects_unix_paths_longer_than_sun_path()
    {
        var error = Assert.Throws<FormatException>(() => ProxyEndpoint.Parse("unix:/" + new string('a', 120)));
        Assert.Contains("at most 107", error.Message);
    }

    [Fact]
    public void Formats_endpoints_as_a_user_writes_them()
    {
        Assert.Equal("[::1]:80", ProxyEndpoint.Format(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 80)));
        Assert.Equal("127.0.0.1:80", ProxyEndpoint.Format(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback.MapToIPv6(), 80)));
        Assert.Equal("unix:@name", ProxyEndpoint.Format(ProxyEndpoint.Parse("unix:@name").ToUnixEndPoint()));
    }
}
