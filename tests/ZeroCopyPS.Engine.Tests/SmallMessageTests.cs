using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>
/// Request/response traffic, where the buffered path skips the read that would only return EAGAIN
/// after a short read: nothing may stall, and an end of stream queued behind the data must arrive.
/// </summary>
public class SmallMessageTests
{
    [Theory]
    [InlineData(CopyMode.Buffered)]
    [InlineData(CopyMode.Auto)]
    [InlineData(CopyMode.Splice)]
    public async Task Message_and_end_of_stream_sent_together_both_arrive(CopyMode mode)
    {
        // The target answers with a few bytes and shuts down at once: data and FIN reach the proxy together.
        await using var server = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            await socket.SendAsync("bye!"u8.ToArray(), SocketFlags.None, token);
            socket.Shutdown(SocketShutdown.Send);
            await StreamPeer.ReceiveAsync(socket, token);
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, server.Endpoint, mode: mode);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        for (int i = 0; i < 200; i++)
        {
            using var client = await proxy.ConnectAsync();
            (_, long count) = await StreamPeer.ReceiveAsync(client, timeout.Token); // ends only at EOF
            Assert.Equal(4, count);
            client.Shutdown(SocketShutdown.Send);
        }
        Assert.All(proxy.Observer.Take(200), s => Assert.Equal(CloseReason.TargetClosed, s.CloseReason));
    }

    [Theory]
    [InlineData(CopyMode.Buffered)]
    [InlineData(CopyMode.Auto)]
    public async Task Thousands_of_round_trips_of_varying_size_never_stall(CopyMode mode)
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, mode: mode);
        using var client = await proxy.ConnectAsync();
        client.NoDelay = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var random = new Random(42);
        byte[] message = new byte[200_000], reply = new byte[200_000];
        long total = 0;
        for (int i = 0; i < 3000; i++)
        {
            // Mostly small, sometimes larger than one read buffer (the next read must not be skipped).
            int size = i % 50 == 49 ? random.Next(70_000, 200_000) : random.Next(1, 2000);
            random.NextBytes(message.AsSpan(0, size));
            await client.SendAsync(message.AsMemory(0, size), SocketFlags.None, timeout.Token);
            int received = 0;
            while (received < size)
            {
                int n = await client.ReceiveAsync(reply.AsMemory(received, size - received), SocketFlags.None, timeout.Token);
                Assert.NotEqual(0, n);
                received += n;
            }
            Assert.True(message.AsSpan(0, size).SequenceEqual(reply.AsSpan(0, size)), $"round trip {i} came back different");
            total += size;
        }
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await client.ReceiveAsync(reply, SocketFlags.None, timeout.Token));
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(total, stats.BytesClientToTarget);
        Assert.Equal(total, stats.BytesTargetToClient);
    }
}
