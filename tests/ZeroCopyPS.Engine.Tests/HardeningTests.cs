using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Regressions of the hardening round: urgent data, huge drains, self-targets and proxy loops, in both engines.</summary>
public class HardeningTests
{
    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Urgent_bytes_arrive_in_band_in_every_engine(EngineKind engine)
    {
        // Before the fix the managed engine lacked SO_OOBINLINE: 2,000 of 2,001 bytes arrived, the record said ClientClosed.
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            var all = new List<byte>();
            byte[] buffer = new byte[4096];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0) all.AddRange(buffer.AsSpan(0, n).ToArray());
            received.TrySetResult(all.ToArray());
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, server.Endpoint, engine: engine, mode: CopyMode.Buffered);
        using var client = proxy.Connect();
        client.NoDelay = true;
        client.Send(Enumerable.Repeat((byte)'a', 1000).ToArray());
        await Task.Delay(50);
        client.Send("U"u8.ToArray(), SocketFlags.OutOfBand);
        await Task.Delay(50);
        client.Send(Enumerable.Repeat((byte)'z', 1000).ToArray());
        client.Shutdown(SocketShutdown.Send);

        byte[] bytes = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2001, bytes.Length);
        Assert.Equal((byte)'U', bytes[1000]);
        Assert.Equal(2001, proxy.Observer.Next().BytesClientToTarget);
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_drain_longer_than_a_wait_can_take_still_drains_and_stops(EngineKind engine)
    {
        // Before the fix a drain of 24.86 days or more threw from the wait: the proxy said stopped while it
        // kept relaying, and two loop threads and their descriptors leaked.
        await using var echo = TestServer.Echo(Transport.Tcp4);
        var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, engine: engine);
        var client = await proxy.ConnectAsync();
        await client.SendAsync(new byte[10], SocketFlags.None);
        Assert.Equal(10, await client.ReceiveAsync(new byte[10], SocketFlags.None));

        Task stop = Task.Run(() => proxy.Server.Stop(TimeSpan.FromDays(30)));
        await Task.Delay(300);
        Assert.False(stop.IsCompleted, "the stop must still be draining the open connection");
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await client.ReceiveAsync(new byte[10], SocketFlags.None));
        await stop.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(CloseReason.ClientClosed, proxy.Observer.Next().CloseReason);
        Assert.Throws<SocketException>(() => proxy.Connect());
        client.Dispose();
        proxy.Dispose();
    }

    [Fact]
    public void Options_refuse_timeouts_beyond_their_limits()
    {
        var listen = new[] { ProxyEndpoint.Parse("127.0.0.1:0") };
        var target = ProxyEndpoint.Parse("127.0.0.1:1");
        foreach (ProxyOptions options in new[]
        {
            new ProxyOptions(listen, target) { DrainTimeout = TimeSpan.FromDays(30) },
            new ProxyOptions(listen, target) { IdleTimeout = TimeSpan.FromDays(8) },
            new ProxyOptions(listen, target) { HalfCloseTimeout = TimeSpan.MaxValue },
            new ProxyOptions(listen, target) { ConnectTimeout = TimeSpan.FromHours(2) },
        })
        {
            var error = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
            Assert.Equal(ProxyStartFailure.InvalidOptions, error.Failure);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:{0}", "127.0.0.1:{0}")]
    [InlineData("{0}", "127.0.0.1:{0}")]
    [InlineData("{0}", "[::1]:{0}")]
    [InlineData("{0}", "localhost:{0}")]
    [InlineData("{0}", "{0}")]
    public void A_target_that_is_the_proxys_own_listen_address_is_refused(string listen, string target)
    {
        int port = FreePort();
        var options = new ProxyOptions([ProxyEndpoint.Parse(string.Format(listen, port))], ProxyEndpoint.Parse(string.Format(target, port)));
        var error = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
        Assert.Equal(ProxyStartFailure.TargetIsListener, error.Failure);
        // Nothing stays bound.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Two_proxies_pointing_at_each_other_reset_the_loop_instead_of_fanning_out(EngineKind engine)
    {
        // Before the fix one client became MaxConnections connections and the proxies wedged.
        int a = FreePort(), b = FreePort();
        while (b == a) b = FreePort();   // a port just released may be handed out again
        using var first = Start(a, b, engine);
        using var second = Start(b, a, engine);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        // The client's connection ends (reset, maybe before its connect even returned) instead of hanging
        // while connections multiply.
        try
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, a));
            await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
            await client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (SocketException)
        {
        }
        var records = new List<ConnectionStatistics>();
        var deadline = Stopwatch.StartNew();
        while (records.All(r => r.CloseReason != CloseReason.ProxyLoop) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            records.AddRange(first.Observer.TryTakeAll());
            records.AddRange(second.Observer.TryTakeAll());
            await Task.Delay(20);
        }
        Assert.Contains(records, r => r.CloseReason == CloseReason.ProxyLoop);
        long total = first.Server.GetStatus().TotalConnections + second.Server.GetStatus().TotalConnections;
        Assert.InRange(total, 2, 4); // client -> A, A -> B, B -> A: the third is the loop
        Assert.True(first.Server.IsRunning && second.Server.IsRunning);
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_chain_of_two_proxies_in_one_process_is_no_loop(EngineKind engine)
    {
        // A connection from this process's own outgoing socket is a loop only if its stream already
        // passed through the accepting proxy: A -> B -> service must work.
        await using var echo = TestServer.Echo(Transport.Tcp4);
        int a = FreePort(), b = FreePort();
        using var second = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint,
            o => new ProxyOptions([ProxyEndpoint.Parse($"127.0.0.1:{b}")], o.Target) { Engine = engine });
        using var first = Start(a, b, engine);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, a));
        StreamPeer.Result result = await StreamPeer.ExchangeAsync(client, 100_000, 9, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(100_000, result.BytesReceived);
        Assert.NotEqual(CloseReason.ProxyLoop, first.Observer.Next().CloseReason);
        Assert.NotEqual(CloseReason.ProxyLoop, second.Observer.Next().CloseReason);
    }

    private static ProxyHarness Start(int listenPort, int targetPort, EngineKind engine) =>
        ProxyHarness.Start(Transport.Tcp4, $"127.0.0.1:{targetPort}",
            o => new ProxyOptions([ProxyEndpoint.Parse($"127.0.0.1:{listenPort}")], o.Target) { Engine = engine, DrainTimeout = TimeSpan.Zero });

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
