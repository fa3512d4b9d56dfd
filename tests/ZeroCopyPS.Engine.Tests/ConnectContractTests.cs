using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Connecting and DNS as the connection policy does them, over real sockets, in both engines.</summary>
public class ConnectContractTests
{
    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_black_holed_first_address_costs_an_attempt_delay_not_the_connect_timeout(EngineKind engine)
    {
        // Before: one deadline covered every address, so a first address that drops SYNs failed every
        // connection after ConnectTimeout without the healthy second address ever being tried.
        // A bare-port target means this machine: 127.0.0.1 first, then ::1. 127.0.0.1 drops SYNs here
        // (a listener whose accept queue is full), ::1 echoes.
        using var blackHole = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        blackHole.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        blackHole.Listen(0);
        int port = ((IPEndPoint)blackHole.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        await using var echo = new TestServer(new IPEndPoint(IPAddress.IPv6Loopback, port), EchoHandler);
        try
        {
            for (int i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                try { filler.Connect(blackHole.LocalEndPoint!); } catch (SocketException) { }
                fillers.Add(filler);
            }
            await Task.Delay(200);
            using var proxy = ProxyHarness.Start(Transport.Tcp4, port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                o => new ProxyOptions(o.Listen, o.Target) { Engine = engine, ConnectTimeout = TimeSpan.FromSeconds(10) });
            using var client = await proxy.ConnectAsync();
            StreamPeer.Result result = await StreamPeer.ExchangeAsync(client, 64 * 1024, 3, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
            Assert.Equal(result.SentHash, StreamPeer.HashOf(64 * 1024, 3));
            ConnectionStatistics stats = proxy.Observer.Next();
            Assert.Equal($"[::1]:{port}", stats.TargetEndPoint);
            Assert.Equal(2, stats.ConnectAttempts);
            Assert.InRange(stats.ConnectTime, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(3));
        }
        finally
        {
            foreach (Socket filler in fillers) filler.Dispose();
        }
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_unix_target_with_a_full_backlog_is_retried_until_it_accepts(EngineKind engine)
    {
        // Before: a nonblocking AF_UNIX connect's EAGAIN was a hard failure: 5 clients against a backlog
        // of 1 gave three ConnectFailed within 15 ms, although ConnectTimeout was 10 s.
        string path = Path.Combine(Path.GetTempPath(), $"zc-backlog-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var acceptNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var serving = Task.Run(async () =>
        {
            await acceptNow.Task; // a burst arrives while the target is busy
            for (int i = 0; i < 5; i++)
            {
                Socket accepted = await listener.AcceptAsync();
                _ = Task.Run(async () => { using (accepted) await EchoHandler(accepted, CancellationToken.None); });
            }
        });
        try
        {
            using var proxy = ProxyHarness.Start(Transport.Tcp4, "unix:" + path,
                o => new ProxyOptions(o.Listen, o.Target) { Engine = engine, ConnectTimeout = TimeSpan.FromSeconds(10) });
            var clients = Enumerable.Range(0, 5).Select(async i =>
            {
                using Socket client = await proxy.ConnectAsync();
                return await StreamPeer.ExchangeAsync(client, 1024, i, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15));
            }).ToArray();
            // All five at the proxy while the target accepts none: a backlog of 1 has refused some of them by now.
            await Eventually.TrueAsync(() => proxy.Server.GetStatus().ActiveConnections == 5, TimeSpan.FromSeconds(10), "the five clients at the proxy");
            acceptNow.SetResult();
            StreamPeer.Result[] results = await Task.WhenAll(clients);
            Assert.All(results, r => Assert.Equal(1024, r.BytesReceived));
            List<ConnectionStatistics> stats = proxy.Observer.Take(5);
            Assert.DoesNotContain(stats, s => s.CloseReason == CloseReason.ConnectFailed);
            Assert.Contains(stats, s => s.ConnectAttempts > 1);
            await serving.WaitAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_target_name_is_looked_up_once_for_many_connections(EngineKind engine)
    {
        // Before: every connection ran its own lookup, so an accept storm was as many queries at once
        // and a resolver blip failed every new connection.
        await using var echo = TestServer.Echo(Transport.Tcp4);
        int port = int.Parse(echo.Endpoint.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, $"localhost:{port}", o => new ProxyOptions(o.Listen, o.Target) { Engine = engine });
        var clients = Enumerable.Range(0, 20).Select(async i =>
        {
            using Socket client = await proxy.ConnectAsync();
            return await StreamPeer.ExchangeAsync(client, 100, i, CancellationToken.None);
        }).ToArray();
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(20));
        proxy.Observer.Take(20);
        ProxyStatus status = proxy.Server.GetStatus();
        Assert.Equal(1, status.DnsLookups);
        Assert.Equal(0, status.DnsFailures);
    }

    private static async Task EchoHandler(Socket socket, CancellationToken token)
    {
        byte[] buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
            await socket.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, token);
        socket.Shutdown(SocketShutdown.Send);
    }
}
