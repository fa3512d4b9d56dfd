using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Choosing a target among several, over real sockets, in both engines.</summary>
public class BalancingTests(ITestOutputHelper output)
{
    public static TheoryData<EngineKind> Engines => new() { EngineKind.Epoll, EngineKind.Managed };

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Round_robin_shares_3000_connections_by_weight(EngineKind engine)
    {
        await using var targets = new CountingTargets(3);
        foreach ((int[] weights, int[] expected) in new[] { (new[] { 1, 1, 1 }, new[] { 1000, 1000, 1000 }), (new[] { 3, 1, 1 }, new[] { 1800, 600, 600 }) })
        {
            targets.Reset();
            var list = targets.Endpoints.Select((e, i) => new ProxyTarget(ProxyEndpoint.Parse(e), weights[i])).ToArray();
            using var proxy = StartWith(list, BalanceMode.RoundRobin, engine);
            await RunClients(proxy, 3000, concurrency: 20);
            output.WriteLine($"{engine}, weights {string.Join(":", weights)}: {string.Join(" / ", Enumerable.Range(0, 3).Select(targets.Accepted))} of 3,000");
            for (int i = 0; i < 3; i++)
                Assert.InRange(targets.Accepted(i), expected[i] * 95 / 100, expected[i] * 105 / 100);
            Assert.Equal(3000, proxy.Server.GetStatus().Targets.Sum(t => t.TotalConnections));
        }
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Least_connections_sends_fewer_connections_to_a_slow_target(EngineKind engine)
    {
        await using var targets = new CountingTargets(3, slowIndex: 0);
        var list = targets.Endpoints.Select(e => new ProxyTarget(ProxyEndpoint.Parse(e))).ToArray();
        using var proxy = StartWith(list, BalanceMode.LeastConnections, engine);
        await RunClients(proxy, 300, concurrency: 30);
        output.WriteLine($"{engine}: slow target {targets.Accepted(0)}, the others {targets.Accepted(1)} and {targets.Accepted(2)} of 300");
        // Round robin would give the slow one 100; least connections sends new work where little is open. Its share
        // shrinks with how much slower it is, which a loaded machine lessens (fast round trips slow down too).
        Assert.InRange(targets.Accepted(0), 1, 80);
        Assert.True(targets.Accepted(0) < Math.Min(targets.Accepted(1), targets.Accepted(2)), "the slow target got the fewest");
        Assert.Equal(300, targets.Accepted(0) + targets.Accepted(1) + targets.Accepted(2));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Source_hash_keeps_a_client_on_its_target_and_moves_few_when_one_goes(EngineKind engine)
    {
        await using var targets = new CountingTargets(4);
        var list = targets.Endpoints.Select(e => new ProxyTarget(ProxyEndpoint.Parse(e))).ToArray();
        using var proxy = StartWith(list, BalanceMode.SourceHash, engine);
        // 1,000 clients, each from its own loopback address, each connecting twice.
        const int Clients = 1000;
        var before = new Dictionary<int, string>();
        for (int round = 0; round < 2; round++)
            for (int client = 0; client < Clients; client++)
            {
                string target = await ConnectFrom(proxy, client);
                if (round == 0) before[client] = target;
                else Assert.Equal(before[client], target);
            }
        Assert.True(before.Values.Distinct().Count() == 4, "every target has clients");

        proxy.Server.SetTargets(list[..3]); // the fourth goes
        int moved = 0;
        for (int client = 0; client < Clients; client++)
        {
            string target = await ConnectFrom(proxy, client);
            if (target != before[client])
            {
                moved++;
                Assert.Equal(list[3].Endpoint.Text, before[client]); // only the removed target's clients move
            }
        }
        output.WriteLine($"{engine}: removing 1 of 4 targets moved {moved} of {Clients} clients ({100.0 * moved / Clients:0.#} %)");
        // Exactly the removed target's clients moved, no other (asserted per client above): the issue's bound is 30 %.
        Assert.Equal(before.Values.Count(t => t == list[3].Endpoint.Text), moved);
        Assert.InRange(moved, 1, Clients * 30 / 100);
    }

    internal static ProxyHarness StartWith(IReadOnlyList<ProxyTarget> targets, BalanceMode mode, EngineKind engine, Func<ProxyOptions, ProxyOptions>? more = null) =>
        ProxyHarness.Start(Transport.Tcp4, targets[0].Endpoint.Text, o =>
        {
            var options = new ProxyOptions(o.Listen, targets) { Engine = engine, Balance = mode, DrainTimeout = TimeSpan.FromSeconds(2) };
            return more is null ? options : more(options);
        });

    // Each client: connect, one round trip, close; the proxy's records say which target it reached.
    internal static async Task RunClients(ProxyHarness proxy, int count, int concurrency)
    {
        using var gate = new SemaphoreSlim(concurrency);
        var tasks = Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                using Socket client = await proxy.ConnectAsync();
                StreamPeer.Result r = await StreamPeer.ExchangeAsync(client, 10, i, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
                Assert.Equal(10, r.BytesReceived);
            }
            finally { gate.Release(); }
        });
        await Task.WhenAll(tasks);
        proxy.Observer.Take(count);
    }

    // Client n connects from 127.0.(n / 250).(n % 250 + 2): a loopback address of its own.
    private static async Task<string> ConnectFrom(ProxyHarness proxy, int client)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse($"127.0.{client / 250}.{client % 250 + 2}"), 0));
        await socket.ConnectAsync(proxy.ListenEndPoint);
        await StreamPeer.ExchangeAsync(socket, 10, client, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return proxy.Observer.Next().Target!;
    }
}
