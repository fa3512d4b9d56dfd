using System.Net;
using System.Reflection;
using ZeroCopyPS.Engine;

namespace ZeroCopyPS.Module.Tests;

/// <summary>
/// The cmdlet layer's routing inputs without a proxy: the denial record limiter with explicit times (the Pester
/// suite sees it only within the second a burst takes), and the client-rule parser's accepted and refused forms.
/// </summary>
public class RoutingInputTests
{
    private static ConnectionStatistics Denied(long id)
    {
        ConstructorInfo constructor = typeof(ConnectionStatistics).GetConstructors(BindingFlags.NonPublic | BindingFlags.Instance).Single();
        object?[] arguments = constructor.GetParameters().Select(p => p.Name switch
        {
            "connectionId" => id,
            "closeReason" => CloseReason.Denied,
            _ => p.ParameterType == typeof(string) ? "x" : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType) : null,
        }).ToArray();
        return (ConnectionStatistics)constructor.Invoke(arguments);
    }

    [Fact]
    public void Denials_give_one_record_per_interval_and_the_next_one_counts_those_held_back()
    {
        var limiter = new DenialRecordLimiter();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.NotNull(limiter.Next(Denied(1), start));
        for (int i = 2; i <= 500; i++)
            Assert.Null(limiter.Next(Denied(i), start.AddMilliseconds(i)));
        var second = limiter.Next(Denied(501), start.AddMilliseconds(DenialRecordLimiter.IntervalMs));

        Assert.NotNull(second);
        Assert.Equal(ErrorIds.ClientDenied, second!.FullyQualifiedErrorId);
        Assert.Contains("Connection 501 ", second.Exception.Message);
        Assert.Contains(" 499 more denied connection(s)", second.Exception.Message);
        Assert.Null(limiter.Next(Denied(502), start.AddMilliseconds(DenialRecordLimiter.IntervalMs + 999)));
        var third = limiter.Next(Denied(503), start.AddMilliseconds(2 * DenialRecordLimiter.IntervalMs));
        Assert.Contains(" 1 more denied connection(s)", third!.Exception.Message);
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::1", "::1/128")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("::ffff:127.0.0.1", "::ffff:127.0.0.1/128")]
    public void A_client_rule_is_an_address_or_a_range(string rule, string expected)
    {
        Assert.Null(ClientRuleList.TryParse(rule, out IPNetwork network));
        Assert.Equal(expected, network.ToString());
    }

    [Theory]
    [InlineData("192.0.2.1/24", "192.0.2.0/24")]
    [InlineData("1.2", "not an IPv4 or IPv6 address")]
    [InlineData("0x7f.0.0.1", "not an IPv4 or IPv6 address")]
    [InlineData("localhost", "host names are not matched")]
    [InlineData("10.0.0.0/33", "from 0 to 32")]
    [InlineData("2001:db8::/129", "from 0 to 128")]
    [InlineData("10.0.0.0/+8", "from 0 to 32")]
    [InlineData("10.*", "wildcards")]
    [InlineData("fe80::1%lo", "scope")]
    [InlineData("10.0.0.1 ", "white space")]
    [InlineData("10.0.0.1\u200B", "U+200B")]
    public void A_client_rule_that_is_not_one_says_why(string rule, string reason)
    {
        Assert.Contains(reason, ClientRuleList.TryParse(rule, out _));
    }
}
