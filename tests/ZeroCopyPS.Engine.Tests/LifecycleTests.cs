using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Connect failures, timeouts, limits and stopping.</summary>
public class LifecycleTests
{
    private static int ClosedLoopbackPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port; // closed again when disposed: nothing listens there
    }

    // A connection the proxy gives up on is reset: the client must not read a clean, empty stream.
    private static async Task ClientSeesReset(ProxyHarness proxy)
    {
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using Socket client = await proxy.ConnectAsync();
            await client.ReceiveAsync(new byte[16], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(15));
        });
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task Refused_target_is_reported_as_connect_failed_and_the_proxy_keeps_serving()
    {
        using var proxy = ProxyHarness.Start(Transport.Tcp4, $"127.0.0.1:{ClosedLoopbackPort()}");
        // Reset, not a clean FIN: the client's stream never reached anyone (a connect that the reset
        // overtakes fails as well).
        await ClientSeesReset(proxy);
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.ConnectFailed, stats.CloseReason);
        Assert.Contains("Connection refused", stats.Error);
        Assert.Equal(0, stats.TotalBytes);
        Assert.Equal(1, proxy.Server.GetStatus().FailedConnections);

        await ClientSeesReset(proxy);
        Assert.Equal(CloseReason.ConnectFailed, proxy.Observer.Next().CloseReason);
    }

    [Fact]
    public async Task Missing_unix_target_is_reported_with_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"zc-missing-{Guid.NewGuid():N}.sock");
        using var proxy = ProxyHarness.Start(Transport.Tcp4, "unix:" + path);
        await ClientSeesReset(proxy);
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.ConnectFailed, stats.CloseReason);
        Assert.Contains(path, stats.Error);
    }

    [Fact]
    public async Task Host_names_are_resolved_and_every_address_tried()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        int port = int.Parse(echo.Endpoint.Split(':')[1]);
        // localhost resolves to ::1 first on many systems; the echo only listens on 127.0.0.1.
        using var proxy = ProxyHarness.Start(Transport.Tcp4, $"localhost:{port}");
        using var client = await proxy.ConnectAsync();
        StreamPeer.Result result = await StreamPeer.ExchangeAsync(client, 65536, 1, CancellationToken.None);
        Assert.Equal(result.SentHash, result.ReceivedHash);
        Assert.Equal("127.0.0.1:" + port, proxy.Observer.Next().TargetEndPoint);
    }

    [Fact]
    public async Task Idle_connection_is_closed_after_the_idle_timeout()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(o.Listen, o.Target) { IdleTimeout = TimeSpan.FromSeconds(2) }); // long enough for the echo on a loaded machine
        using var client = await proxy.ConnectAsync();
        await client.SendAsync(new byte[10], SocketFlags.None);
        Assert.Equal(10, await client.ReceiveAsync(new byte[10], SocketFlags.None));
        ConnectionStatistics stats = proxy.Observer.Next(TimeSpan.FromSeconds(10));
        Assert.Equal(CloseReason.IdleTimeout, stats.CloseReason);
        Assert.Equal(10, stats.BytesClientToTarget);
        Assert.True(stats.Duration >= TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Half_close_timeout_ends_a_connection_whose_other_side_never_finishes()
    {
        // The target reads forever and never closes; the client half-closes.
        await using var silent = new TestServer(Transport.Tcp4, async (socket, token) => await Task.Delay(Timeout.Infinite, token));
        using var proxy = ProxyHarness.Start(Transport.Tcp4, silent.Endpoint, o => new ProxyOptions(o.Listen, o.Target) { HalfCloseTimeout = TimeSpan.FromMilliseconds(300) });
        using var client = await proxy.ConnectAsync();
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(CloseReason.HalfCloseTimeout, proxy.Observer.Next(TimeSpan.FromSeconds(5)).CloseReason);
    }

    [Fact]
    public async Task At_the_connection_limit_accepting_pauses_and_nothing_is_dropped()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(o.Listen, o.Target) { MaxConnections = 2 });
        using var first = await proxy.ConnectAsync();
        using var second = await proxy.ConnectAsync();
        using var third = await proxy.ConnectAsync(); // completes in the kernel backlog, not served yet
        await first.SendAsync(new byte[] { 1 }, SocketFlags.None);
        await second.SendAsync(new byte[] { 2 }, SocketFlags.None);
        await third.SendAsync(new byte[] { 3 }, SocketFlags.None);
        byte[] one = new byte[1];
        Assert.Equal(1, await first.ReceiveAsync(one, SocketFlags.None));
        Assert.Equal(1, await second.ReceiveAsync(one, SocketFlags.None));

        Task<int> pending = third.ReceiveAsync(one, SocketFlags.None);
        await Task.Delay(300);
        Assert.False(pending.IsCompleted, "the third client was served beyond MaxConnections=2");
        Assert.Equal(2, echo.Accepted);

        first.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await first.ReceiveAsync(one, SocketFlags.None));
        Assert.Equal(1, await pending.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(3, one[0]);
    }

    [Fact]
    public async Task Stop_drains_open_connections_then_closes_what_is_left()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, mode: CopyMode.Splice);
        using var finishing = await proxy.ConnectAsync();
        using var lingering = await proxy.ConnectAsync();
        await lingering.SendAsync(new byte[5], SocketFlags.None);
        Assert.Equal(5, await lingering.ReceiveAsync(new byte[5], SocketFlags.None));

        // The finishing client completes its exchange while the proxy drains. 1 MiB in 2.8 s: 8 MiB in 1.8 s was
        // cut by the drain's end once, on a loaded machine.
        Task<StreamPeer.Result> exchange = Task.Run(async () =>
        {
            await Task.Delay(200);
            return await StreamPeer.ExchangeAsync(finishing, 1024 * 1024, 4, CancellationToken.None);
        });
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        proxy.Server.Stop(TimeSpan.FromSeconds(3));
        stopwatch.Stop();

        StreamPeer.Result result = await exchange;
        Assert.Equal(result.SentHash, result.ReceivedHash);
        var stats = proxy.Observer.Take(2).OrderBy(s => s.ConnectionId).ToList();
        Assert.Equal(CloseReason.ClientClosed, stats[0].CloseReason);
        Assert.Equal(CloseReason.ProxyStopped, stats[1].CloseReason);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(10));
        Assert.False(proxy.Server.IsRunning);

        // The listener is gone: a new client is refused.
        Assert.Throws<SocketException>(() => proxy.Connect());
        proxy.Dispose(); // idempotent
    }

    [Fact]
    public void Port_in_use_fails_before_anything_starts()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var options = new ProxyOptions([ProxyEndpoint.Parse($"127.0.0.1:{port}")], ProxyEndpoint.Parse("127.0.0.1:1"));
        var error = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
        Assert.Equal(ProxyStartFailure.AddressInUse, error.Failure);
        Assert.Contains($"127.0.0.1:{port}", error.Message);
    }

    [Fact]
    public void Unknown_listen_address_fails_before_anything_starts()
    {
        // 192.0.2.1 (TEST-NET-1) is on no interface here; binding fails without sending anything.
        var options = new ProxyOptions([ProxyEndpoint.Parse("192.0.2.1:0")], ProxyEndpoint.Parse("127.0.0.1:1"));
        var error = Assert.Throws<ProxyStartException>(() => ProxyServer.Start(options, new RecordingObserver()));
        Assert.Equal(ProxyStartFailure.AddressNotAvailable, error.Failure);
    }

    [Fact]
    public async Task A_bare_port_listens_dual_stack_and_reports_ipv4_clients_as_ipv4()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        var options = new ProxyOptions([ProxyEndpoint.Parse("0")], ProxyEndpoint.Parse(echo.Endpoint)) { Name = "dual" };
        var observer = new RecordingObserver();
        using var server = ProxyServer.Start(options, observer);
        int port = ((IPEndPoint)server.ListenEndPoints[0]).Port;
        foreach (IPAddress address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            using var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(address, port));
            StreamPeer.Result r = await StreamPeer.ExchangeAsync(client, 1000, 1, CancellationToken.None);
            Assert.Equal(r.SentHash, r.ReceivedHash);
        }
        var stats = observer.Take(2).OrderBy(s => s.ConnectionId).ToList();
        Assert.StartsWith("127.0.0.1:", stats[0].ClientEndPoint);
        Assert.StartsWith("[::1]:", stats[1].ClientEndPoint);
    }

    [Fact]
    public async Task Target_that_never_answers_is_reported_after_the_connect_timeout()
    {
        // A loopback listener whose accept queue is full drops further SYNs: a connect to it hangs.
        using var full = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        full.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        full.Listen(1);
        var fillers = new List<Socket>();
        try
        {
            var target = (IPEndPoint)full.LocalEndPoint!;
            for (int i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                try { filler.Connect(target); } catch (SocketException) { } // in progress, or queued
                fillers.Add(filler);
            }
            await Task.Delay(200);
            using var proxy = ProxyHarness.Start(Transport.Tcp4, $"127.0.0.1:{target.Port}",
                o => new ProxyOptions(o.Listen, o.Target) { ConnectTimeout = TimeSpan.FromMilliseconds(500) });
            Task reset = ClientSeesReset(proxy);
            ConnectionStatistics stats = proxy.Observer.Next(TimeSpan.FromSeconds(10));
            Assert.Equal(CloseReason.ConnectFailed, stats.CloseReason);
            Assert.Contains("timed out", stats.Error);
            Assert.InRange(stats.Duration, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(5));
            await reset; // reset, no byte, no clean FIN
        }
        finally
        {
            foreach (Socket filler in fillers) filler.Dispose();
        }
    }
}
