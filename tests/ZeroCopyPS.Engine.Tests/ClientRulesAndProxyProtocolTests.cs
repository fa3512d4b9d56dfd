using System.Net;
using System.Net.Sockets;
using System.Text;
using ZeroCopyPS.Engine.ProxyProtocol;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Allow/deny rules and the PROXY protocol, over real sockets, in both engines, and the codec against the specification.</summary>
[Collection(nameof(ResourceTests))] // measures the process's heap and descriptors: nothing may run beside it
public class ClientRulesAndProxyProtocolTests
{
    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Deny_and_allow_rules_match_ipv4_ipv6_and_mapped_clients_and_reset_the_refused(EngineKind engine)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(
            [ProxyEndpoint.Parse("0")], o.Target) // a bare port: dual-stack, IPv4 clients arrive as ::ffff:a.b.c.d
        {
            Engine = engine,
            AllowClients = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")],
            DenyClients = [IPNetwork.Parse("127.0.0.66/32")],
        });
        int port = ((IPEndPoint)proxy.ListenEndPoint).Port;
        Assert.Equal(10, await Exchange(IPAddress.Parse("127.0.0.5"), port));           // allowed by its IPv4 range
        Assert.Equal(10, await Exchange(IPAddress.IPv6Loopback, port));                // allowed by the IPv6 rule
        Assert.Equal(-1, await Exchange(IPAddress.Parse("127.0.0.66"), port));         // denied: reset
        List<ConnectionStatistics> records = proxy.Observer.Take(3);
        ConnectionStatistics denied = records.Single(r => r.CloseReason == CloseReason.Denied);
        Assert.Equal($"127.0.0.66:{denied.ClientEndPoint.Split(':')[^1]}", denied.ClientEndPoint);
        Assert.Equal(0, denied.ConnectAttempts); // no target was contacted
        Assert.Equal(1, proxy.Server.GetStatus().DeniedConnections);
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Ten_thousand_denied_connections_leave_memory_and_descriptors_where_they_were(EngineKind engine)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(o.Listen, o.Target)
            { Engine = engine, DenyClients = [IPNetwork.Parse("127.0.0.0/8")] });
        await Flood(proxy, 500); // warm-up
        proxy.Observer.Take(500);
        int fdsBefore = ProcessFds.Count();
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        await Flood(proxy, 10_000);
        proxy.Observer.Take(10_000);
        await WaitFor(() => proxy.Server.GetStatus().ActiveConnections == 0);
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        // No growth: the warm-up's sockets may still be going away, and other tests run alongside (a little noise, never 10,000).
        Assert.InRange(ProcessFds.Count() - fdsBefore, int.MinValue, 20);
        Assert.InRange(heapGrowth, long.MinValue, 8L * 1024 * 1024);
        Assert.Equal(10_500, proxy.Server.GetStatus().DeniedConnections);
    }

    [Theory]
    [InlineData(EngineKind.Epoll, ProxyProtocolVersion.V1)]
    [InlineData(EngineKind.Epoll, ProxyProtocolVersion.V2)]
    [InlineData(EngineKind.Managed, ProxyProtocolVersion.V1)]
    [InlineData(EngineKind.Managed, ProxyProtocolVersion.V2)]
    public async Task The_target_reads_the_real_client_in_a_byte_exact_PROXY_header_before_the_clients_bytes(EngineKind engine, ProxyProtocolVersion version)
    {
        var seen = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            var all = new List<byte>();
            byte[] buffer = new byte[1024];
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0) all.AddRange(buffer.AsSpan(0, n).ToArray());
            seen.TrySetResult(all.ToArray());
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, target.Endpoint, o => new ProxyOptions(o.Listen, o.Target) { Engine = engine, SendProxyProtocol = version });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.9"), 0));
        await client.ConnectAsync(proxy.ListenEndPoint);
        await client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        byte[] bytes = await seen.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var from = (IPEndPoint)client.LocalEndPoint!;
        var to = (IPEndPoint)proxy.ListenEndPoint;
        byte[] expected = version == ProxyProtocolVersion.V1
            ? Encoding.ASCII.GetBytes($"PROXY TCP4 127.0.0.9 {to.Address} {from.Port} {to.Port}\r\n")
            : [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0x00, 0x0C,
               127, 0, 0, 9, 127, 0, 0, 1, (byte)(from.Port >> 8), (byte)from.Port, (byte)(to.Port >> 8), (byte)to.Port];
        Assert.Equal(expected.Concat("hello"u8.ToArray()), bytes);
        Assert.Equal(5, proxy.Observer.Next().BytesClientToTarget); // the header is not the client's bytes
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task An_accepted_PROXY_header_names_the_client_and_only_what_follows_it_is_relayed(EngineKind engine)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(o.Listen, o.Target) { Engine = engine, AcceptProxyProtocol = true });
        using var client = await proxy.ConnectAsync();
        // The header and the first bytes of the stream in one segment, as a load balancer sends them.
        await client.SendAsync(Encoding.ASCII.GetBytes("PROXY TCP6 2001:db8::7 2001:db8::1 40000 5432\r\nping"), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        (byte[] hash, long count) = await StreamPeer.ReceiveAsync(client, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(4, count);
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal("[2001:db8::7]:40000", stats.ClientEndPoint);
        Assert.StartsWith("127.0.0.1:", stats.LoadBalancerEndPoint);
        Assert.Equal(4, stats.BytesClientToTarget);
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task Ten_thousand_random_and_truncated_PROXY_headers_each_get_a_record_while_valid_clients_are_served(EngineKind engine)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, o => new ProxyOptions(o.Listen, o.Target)
            { Engine = engine, AcceptProxyProtocol = true, ProxyProtocolTimeout = TimeSpan.FromMilliseconds(300) });
        var random = new Random(42);
        byte[] valid = Encoding.ASCII.GetBytes("PROXY TCP4 192.0.2.1 192.0.2.2 1000 2000\r\n");
        using var gate = new SemaphoreSlim(100);
        int servedValid = 0;
        int connectResets = 0;
        async Task<Socket> ConnectRetryingResets()
        {
            for (int attempt = 1; ; attempt++)
            {
                try { return await proxy.ConnectAsync(); }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && attempt < 3)
                {
                    Interlocked.Increment(ref connectResets);
                }
            }
        }
        // A valid client connects and sends its header with no await between: the header must beat the proxy's
        // 300 ms, and a continuation queued behind a hundred others on a loaded machine need not.
        Socket ConnectAndSendRetryingResets(byte[] bytes)
        {
            for (int attempt = 1; ; attempt++)
            {
                Socket? socket = null;
                try
                {
                    socket = proxy.Connect();
                    socket.Send(bytes);
                    return socket;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset && attempt < 3)
                {
                    socket?.Dispose();
                    Interlocked.Increment(ref connectResets);
                }
            }
        }
        var tasks = Enumerable.Range(0, 10_000).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                if (i % 500 == 0)
                {
                    using Socket validClient = ConnectAndSendRetryingResets(valid.Concat(new byte[] { 1, 2, 3 }).ToArray());
                    validClient.Shutdown(SocketShutdown.Send);
                    if ((await StreamPeer.ReceiveAsync(validClient, CancellationToken.None)).Count == 3) Interlocked.Increment(ref servedValid);
                    return;
                }
                using Socket client = await ConnectRetryingResets();
                byte[] junk = Junk(random, valid, i);
                try
                {
                    await client.SendAsync(junk, SocketFlags.None);
                    await client.ReceiveAsync(new byte[64], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
                }
                catch (SocketException) { } // reset: the expected end
            }
            finally { gate.Release(); }
        });
        await Task.WhenAll(tasks);
        await WaitFor(() => proxy.Server.GetStatus().ActiveConnections == 0);
        // A connect the client saw reset (loopback under a burst of 10,000; not the proxy's doing) was
        // retried; if the proxy had accepted it, it has a record too: a header never sent.
        long accepted = proxy.Server.GetStatus().TotalConnections;
        Assert.InRange(accepted, 10_000, 10_000 + connectResets);
        List<ConnectionStatistics> records = proxy.Observer.Take((int)accepted, TimeSpan.FromSeconds(30));
        Assert.Equal(20, servedValid);
        Assert.Equal(accepted - 20, records.Count(r => r.CloseReason == CloseReason.BadProxyHeader));
        Assert.All(records.Where(r => r.CloseReason == CloseReason.BadProxyHeader), r => Assert.False(string.IsNullOrEmpty(r.Error)));
        Assert.Empty(proxy.Observer.Faults);
    }

    [Fact]
    public void The_codec_writes_the_specifications_own_v1_example_and_reads_back_what_it_writes()
    {
        var from = new IPEndPoint(IPAddress.Parse("192.168.0.1"), 56324);
        var to = new IPEndPoint(IPAddress.Parse("192.168.0.11"), 443);
        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Encoding.ASCII.GetString(ProxyHeaderWriter.Build(ProxyProtocolVersion.V1, from, to)));
        foreach (ProxyProtocolVersion version in new[] { ProxyProtocolVersion.V1, ProxyProtocolVersion.V2 })
        foreach ((IPEndPoint a, IPEndPoint b) in new[] { (from, to), (new IPEndPoint(IPAddress.Parse("2001:db8::1"), 1), new IPEndPoint(IPAddress.Parse("::ffff:192.0.2.1"), 2)) })
        {
            byte[] header = ProxyHeaderWriter.Build(version, a, b);
            Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderParser.Parse(header.Concat(new byte[] { 7, 7 }).ToArray(), out ProxyHeader? parsed, out _));
            Assert.Equal(header.Length, parsed!.Length);
            Assert.Equal(a.Port, parsed.Source!.Port);
        }
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(ProxyHeaderWriter.Build(ProxyProtocolVersion.V1, null, null)));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.01 192.168.0.11 56324 443\r\n")]  // a leading zero
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 056324 443\r\n")]  // a leading zero in a port
    [InlineData("PROXY TCP4 192.168.0.1  192.168.0.11 56324 443\r\n")]  // two spaces
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n")]     // LF alone
    [InlineData("PROXY TCP4 2001:db8::1 192.168.0.11 56324 443\r\n")]   // a family mismatch
    [InlineData("PROXY TCP6 ::ffff:1.2.3.4 ::1 1 2\r\n")]               // a dotted quad in TCP6
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 65536 443\r\n")]   // a port out of range
    [InlineData("GET / HTTP/1.1\r\n")]                                  // not a PROXY header at all
    public void The_parser_refuses_what_does_not_exactly_match_the_specification(string text)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.Parse(Encoding.ASCII.GetBytes(text), out _, out string? error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void The_parser_survives_a_million_random_inputs()
    {
        var random = new Random(7);
        byte[] buffer = new byte[600];
        for (int i = 0; i < 1_000_000; i++)
        {
            int length = random.Next(0, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 3 == 0) ProxyHeaderParser.V2Signature.CopyTo(buffer); // reach the v2 paths
            else if (i % 3 == 1) "PROXY "u8.CopyTo(buffer);
            ProxyHeaderStatus status = ProxyHeaderParser.Parse(buffer.AsSpan(0, length), out ProxyHeader? header, out _);
            if (status == ProxyHeaderStatus.Complete) Assert.InRange(header!.Length, 1, length);
        }
    }

    private static byte[] Junk(Random random, byte[] valid, int i) => (i % 4) switch
    {
        0 => valid[..random.Next(1, valid.Length - 1)],                       // truncated: times out
        1 => ProxyHeaderParser.V2Signature.ToArray().Concat(Bytes(random, random.Next(0, 40))).ToArray(),
        2 => "PROXY "u8.ToArray().Concat(Bytes(random, random.Next(0, 120))).ToArray(),
        _ => Bytes(random, random.Next(1, 200)),
    };

    private static byte[] Bytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        lock (random) random.NextBytes(bytes);
        return bytes;
    }

    private static async Task<int> Exchange(IPAddress from, int port)
    {
        using var client = new Socket(from.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        client.Bind(new IPEndPoint(from, 0));
        try
        {
            await client.ConnectAsync(new IPEndPoint(from.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, port));
            return (int)(await StreamPeer.ExchangeAsync(client, 10, 1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10))).BytesReceived;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return -1;
        }
    }

    private static async Task Flood(ProxyHarness proxy, int count)
    {
        using var gate = new SemaphoreSlim(100);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                using Socket client = await proxy.ConnectAsync();
                await client.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (SocketException) { }
            finally { gate.Release(); }
        }));
    }

    private static async Task WaitFor(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++) await Task.Delay(20);
        Assert.True(condition(), "timed out waiting");
    }
}
