using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Health, failover and changing targets while connections flow, over real sockets, in both engines.</summary>
public class HealthAndFailoverTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_refusing_and_a_black_holed_target_cost_no_client_a_failure_and_come_back_when_they_answer(EngineKind engine)
    {
        await using var healthy = TestServer.Echo(Transport.Tcp4);
        int refusingPort = FreePort();
        using var blackHole = BlackHole(out int blackHolePort, out List<Socket> fillers);
        var list = new[] { $"127.0.0.1:{refusingPort}", $"127.0.0.1:{blackHolePort}", healthy.Endpoint }
            .Select(e => new ProxyTarget(ProxyEndpoint.Parse(e))).ToArray();
        var changes = new ConcurrentQueue<TargetStateChange>();
        using var proxy = BalancingTests.StartWith(list, BalanceMode.RoundRobin, engine, o => new ProxyOptions(o.Listen, o.Targets)
        {
            Engine = o.Engine, Balance = o.Balance, ConnectTimeout = TimeSpan.FromSeconds(6), HealthCoolDown = TimeSpan.FromSeconds(30),
            HealthCheckInterval = TimeSpan.FromMilliseconds(300),
        });
        proxy.Observer.TargetChanges = changes;
        try
        {
            await BalancingTests.RunClients(proxy, 1000, concurrency: 50); // asserts every exchange
            TargetStatus[] status = proxy.Server.GetStatus().Targets.ToArray();
            output.WriteLine($"{engine}: 1,000 clients served, {proxy.Server.GetStatus().FailedConnections} failed; targets {string.Join(", ", status.Select(t => $"{t.Health} ({t.TotalConnections} connections, {t.ConnectFailures} connect failures)"))}");
            Assert.Equal(TargetHealth.Down, status[0].Health);
            Assert.Equal(TargetHealth.Down, status[1].Health);
            Assert.Equal(TargetHealth.Up, status[2].Health);
            Assert.Contains(changes, c => c.Target == list[1].Endpoint.Text && c.Health == TargetHealth.Down);

            // They answer again: the active check brings both back, long before their cool-down.
            using var nowListening = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            nowListening.Bind(new IPEndPoint(IPAddress.Loopback, refusingPort));
            nowListening.Listen(100);
            foreach (Socket filler in fillers) filler.Dispose();
            _ = AcceptAll(blackHole);
            _ = AcceptAll(nowListening);
            await WaitFor(() => proxy.Server.GetStatus().Targets.All(t => t.Health == TargetHealth.Up), TimeSpan.FromSeconds(10));
            Assert.Contains(changes, c => c.Target == list[0].Endpoint.Text && c.Health == TargetHealth.Up && c.Reason.Contains("health check"));
        }
        finally
        {
            foreach (Socket filler in fillers) filler.Dispose();
        }
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Backups_take_traffic_only_while_every_primary_is_down(EngineKind engine)
    {
        await using var targets = new CountingTargets(2);
        int deadPort = FreePort();
        var list = new[]
        {
            new ProxyTarget(ProxyEndpoint.Parse($"127.0.0.1:{deadPort}")),
            new ProxyTarget(ProxyEndpoint.Parse(targets.Endpoints[0])),
            new ProxyTarget(ProxyEndpoint.Parse(targets.Endpoints[1]), backup: true),
        };
        using var proxy = BalancingTests.StartWith(list, BalanceMode.First, engine);
        await BalancingTests.RunClients(proxy, 50, concurrency: 5);
        Assert.Equal(50, targets.Accepted(0)); // First: the dead primary fails over to the live primary, never the backup
        Assert.Equal(0, targets.Accepted(1));

        proxy.Server.SetTargets([list[0], list[2]]); // only the dead primary and the backup remain
        await BalancingTests.RunClients(proxy, 20, concurrency: 5);
        Assert.Equal(20, targets.Accepted(1));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Changing_the_targets_during_1000_connections_in_flight_cuts_none(EngineKind engine)
    {
        await using var first = new CountingTargets(2);
        await using var second = new CountingTargets(2);
        ProxyTarget[] Targets(CountingTargets t) => t.Endpoints.Select(e => new ProxyTarget(ProxyEndpoint.Parse(e))).ToArray();
        using var proxy = BalancingTests.StartWith(Targets(first), BalanceMode.RoundRobin, engine);
        var open = new List<Socket>();
        for (int i = 0; i < 1000; i++) open.Add(await proxy.ConnectAsync());
        await Task.WhenAll(open.Select(async (c, i) => Assert.Equal(10, (await Echo(c, 10)))));

        proxy.Server.SetTargets(Targets(second));
        using (Socket late = await proxy.ConnectAsync()) Assert.Equal(10, await Echo(late, 10));
        Assert.Equal(1, second.Accepted(0) + second.Accepted(1)); // new connections: the new set at once

        // The 1,000 open ones finish where they are: more bytes both ways, then a clean end.
        await Task.WhenAll(open.Select(async c =>
        {
            Assert.Equal(100, await Echo(c, 100));
            c.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await c.ReceiveAsync(new byte[1], SocketFlags.None));
            c.Dispose();
        }));
        List<ConnectionStatistics> records = proxy.Observer.Take(1001);
        Assert.All(records, r => Assert.Contains(r.CloseReason, new[] { CloseReason.ClientClosed, CloseReason.TargetClosed }));
        Assert.Equal(1000, records.Count(r => first.Endpoints.Contains(r.Target)));
    }

    private static async Task<int> Echo(Socket client, int bytes)
    {
        await client.SendAsync(new byte[bytes], SocketFlags.None);
        byte[] buffer = new byte[bytes];
        int got = 0;
        while (got < bytes)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(20));
            if (n == 0) break;
            got += n;
        }
        return got;
    }

    // A listener whose accept queue is full: further SYNs are dropped, so a connect just waits.
    private static Socket BlackHole(out int port, out List<Socket> fillers)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        fillers = new List<Socket>();
        for (int i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            try { filler.Connect(listener.LocalEndPoint!); } catch (SocketException) { }
            fillers.Add(filler);
        }
        // The queue is full once the first fillers are connected (writable); the rest wait for ever.
        Assert.True(fillers[0].Poll(TimeSpan.FromSeconds(5), SelectMode.SelectWrite), "the first filler connects");
        return listener;
    }

    private static async Task AcceptAll(Socket listener)
    {
        try { while (true) (await listener.AcceptAsync()).Dispose(); } catch (Exception) { }
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private static async Task WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
