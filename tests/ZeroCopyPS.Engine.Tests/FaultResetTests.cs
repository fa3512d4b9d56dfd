using System.Diagnostics;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Injected faults that cut or hold connections (ResetAfter, Stall), the draw, and changes while connections are open, in both engines.</summary>
[Collection(nameof(FaultBehaviourTests))] // times holds and resets: alone, like the other fault tests
public class FaultResetTests(ITestOutputHelper output)
{
    public static TheoryData<EngineKind> Engines => FaultBehaviourTests.Engines;

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task ResetAfter_1MiB_resets_the_client_after_1MiB_and_the_target_too(EngineKind engine)
    {
        const long Limit = 1024 * 1024, Chunk = 64 * 1024;
        var targetError = new TaskCompletionSource<SocketError>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var target = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            try
            {
                byte[] data = new byte[Chunk];
                for (int i = 0; i < 256; i++) await socket.SendAsync(data, SocketFlags.None, token); // 16 MiB, far past the fault
                await socket.ReceiveAsync(new byte[1], SocketFlags.None, token);
                targetError.TrySetResult(SocketError.Success);
            }
            catch (SocketException e)
            {
                targetError.TrySetResult(e.SocketErrorCode);
            }
        });
        using var proxy = FaultBehaviourTests.Start(target.Endpoint, engine,
            new ProxyFault { Name = "dying-peer", Kind = FaultKind.ResetAfter, Direction = FaultDirection.ToClient, Bytes = Limit });
        long received = 0;
        using (Socket client = await proxy.ConnectAsync())
        {
            byte[] buffer = new byte[Chunk];
            var error = await Assert.ThrowsAsync<SocketException>(async () =>
            {
                while (true)
                {
                    int n = await client.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0) throw new InvalidOperationException($"a clean end of stream after {received} bytes: the reset was hidden");
                    received += n;
                }
            });
            output.WriteLine($"{engine}: ResetAfter 1 MiB: the client read {received} bytes, then {error.SocketErrorCode}; the target saw {await targetError.Task}");
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        }
        Assert.InRange(received, Limit - Chunk, Limit + Chunk);
        Assert.Equal(SocketError.ConnectionReset, await targetError.Task);
        ConnectionStatistics stats = proxy.Observer.Next();
        output.WriteLine($"{engine}: record: {stats.CloseReason}, faults [{string.Join(", ", stats.Faults)}], delivered to the client {stats.BytesTargetToClient}, lost {stats.BytesLostTargetToClient}: {stats.Error}");
        Assert.Equal(CloseReason.FaultReset, stats.CloseReason);
        Assert.Equal(["dying-peer"], stats.Faults);
        Assert.Contains("'dying-peer'", stats.Error);
        Assert.Contains("\"Faults\":[\"dying-peer\"]", ZeroCopyPS.Engine.Logging.ConnectionRecord.ToJson(stats)); // the access log's field
        Assert.InRange(stats.BytesTargetToClient + stats.BytesLostTargetToClient, Limit, Limit);
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Probability_one_half_over_400_connections_resets_160_to_240_of_them(EngineKind engine)
    {
        const int Connections = 400;
        await using var echo = TestServer.Echo();
        using var proxy = FaultBehaviourTests.Start(echo.Endpoint, engine,
            new ProxyFault { Name = "coin", Kind = FaultKind.ResetAfter, Probability = 0.5 });
        int answered = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Connections), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, token) =>
        {
            // The reset may overtake the connect itself.
            try
            {
                using Socket client = await proxy.ConnectAsync();
                await client.SendAsync(new byte[] { 1 }, SocketFlags.None, token);
                if (await client.ReceiveAsync(new byte[1], SocketFlags.None, token) == 1) Interlocked.Increment(ref answered);
            }
            catch (SocketException)
            {
            }
        });
        List<ConnectionStatistics> records = proxy.Observer.Take(Connections);
        int reset = records.Count(r => r.CloseReason == CloseReason.FaultReset);
        output.WriteLine($"{engine}: Probability 0.5 over {Connections} connections: {reset} reset by the fault, {answered} answered");
        Assert.InRange(reset, 160, 240);
        Assert.Equal(Connections - reset, answered);
        Assert.All(records, r => Assert.Equal(r.CloseReason == CloseReason.FaultReset ? ["coin"] : [], r.Faults));
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Stall_stops_every_byte_and_with_CloseAfter_resets_the_connection_then(EngineKind engine)
    {
        await using var echo = TestServer.Echo();
        using var proxy = FaultBehaviourTests.Start(echo.Endpoint, engine);
        using Socket client = await proxy.ConnectAsync();
        byte[] reply = new byte[64];
        await client.SendAsync(new byte[64], SocketFlags.None);
        Assert.Equal(64, await client.ReceiveAsync(reply, SocketFlags.None)); // it flows before

        long added = Stopwatch.GetTimestamp();
        proxy.Server.AddFault(new ProxyFault { Name = "hang", Kind = FaultKind.Stall, CloseAfter = TimeSpan.FromSeconds(1) });
        await client.SendAsync(new byte[64], SocketFlags.None);
        var error = await Assert.ThrowsAsync<SocketException>(async () =>
        {
            int n = await client.ReceiveAsync(reply, SocketFlags.None);
            throw new InvalidOperationException($"{n} bytes moved under a Stall");
        });
        double resetAfter = Stopwatch.GetElapsedTime(added).TotalMilliseconds;
        output.WriteLine($"{engine}: Stall with CloseAfter 1 s: no byte moved, reset ({error.SocketErrorCode}) {resetAfter:0} ms after the fault was added");
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        Assert.InRange(resetAfter, 1000, 2500); // never early; late by at most what a loaded machine adds
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.FaultReset, stats.CloseReason);
        Assert.Equal(["hang"], stats.Faults);
        Assert.Equal(64, stats.BytesClientToTarget); // the second message was never read
    }

    [Theory]
    [MemberData(nameof(Engines))]
    public async Task Adding_and_removing_a_Stall_changes_100_open_connections_within_100ms(EngineKind engine)
    {
        const int Connections = 100;
        await using var echo = TestServer.Echo();
        using var proxy = FaultBehaviourTests.Start(echo.Endpoint, engine);
        var clients = new Socket[Connections];
        for (int i = 0; i < Connections; i++) clients[i] = await proxy.ConnectAsync();
        long[] lastReply = new long[Connections], firstAfterRemove = new long[Connections];
        int[] roundTrips = new int[Connections];
        long removedAt = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // bounds the loops whatever happens
        Task[] loops = Enumerable.Range(0, Connections).Select(i => Task.Run(async () =>
        {
            byte[] message = new byte[64], reply = new byte[64];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    await clients[i].SendAsync(message, SocketFlags.None, stop.Token);
                    for (int got = 0; got < 64;) got += await clients[i].ReceiveAsync(reply.AsMemory(got), SocketFlags.None, stop.Token);
                    long now = Stopwatch.GetTimestamp();
                    Volatile.Write(ref lastReply[i], now);
                    Interlocked.Increment(ref roundTrips[i]);
                    long removed = Volatile.Read(ref removedAt);
                    if (removed != 0 && now > removed && Volatile.Read(ref firstAfterRemove[i]) == 0) Volatile.Write(ref firstAfterRemove[i], now);
                    await Task.Delay(5, stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        })).ToArray();
        try
        {
            await Eventually.TrueAsync(() => roundTrips.All(n => Volatile.Read(ref n) >= 3), TimeSpan.FromSeconds(20), "every connection ping-pongs");
            long added = Stopwatch.GetTimestamp();
            proxy.Server.AddFault(new ProxyFault { Name = "freeze", Kind = FaultKind.Stall });
            // Watch for a while: the oracle is the replies' timestamps, not this wait.
            await Task.Delay(600);
            double[] lastAfterAdd = lastReply.Select(t => FaultBehaviourTests.Ms(added, Volatile.Read(ref t))).ToArray();
            Assert.Equal(Connections, proxy.Server.GetConnections().Count(c => c.Faults.Contains("freeze")));

            Volatile.Write(ref removedAt, Stopwatch.GetTimestamp());
            Assert.True(proxy.Server.RemoveFault("freeze"));
            await Eventually.TrueAsync(() => firstAfterRemove.All(t => Volatile.Read(ref t) != 0), TimeSpan.FromSeconds(10), "every connection moves again");
            double[] resumed = firstAfterRemove.Select(t => FaultBehaviourTests.Ms(removedAt, t)).Order().ToArray();
            double[] stopped = lastAfterAdd.Order().ToArray();
            output.WriteLine($"{engine}: Stall added over {Connections} ping-ponging connections: last reply at most {stopped[^1]:0.0} ms after (p50 {stopped[Connections / 2]:0.0}); " +
                             $"removed: first reply p50 {resumed[Connections / 2]:0.0} ms, max {resumed[^1]:0.0} ms after");
            Assert.All(lastAfterAdd, ms => Assert.True(ms <= 100, $"a connection moved a byte {ms:0.0} ms after the Stall was added"));
            Assert.All(resumed, ms => Assert.True(ms <= 100, $"a connection took {ms:0.0} ms to move again after the Stall went"));
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(loops);
            foreach (Socket client in clients) client.Dispose();
        }
        Assert.All(proxy.Observer.Take(Connections), r => Assert.Equal(["freeze"], r.Faults));
    }
}
