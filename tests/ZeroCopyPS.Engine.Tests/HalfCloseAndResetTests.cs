using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>End of stream and resets travel through the proxy the way they happened, in order.</summary>
public class HalfCloseAndResetTests
{
    [Theory]
    [InlineData(CopyMode.Splice)]
    [InlineData(CopyMode.Buffered)]
    [InlineData(CopyMode.Auto)]
    public async Task Client_half_close_still_receives_the_full_reply(CopyMode mode)
    {
        const long request = 3 * 1024 * 1024 + 17, reply = 5 * 1024 * 1024 + 3;
        var received = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // The target answers only after the client's EOF: the reply must survive the client's SHUT_WR.
        await using var server = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            (_, long count) = await StreamPeer.ReceiveAsync(socket, token);
            received.TrySetResult(count);
            await StreamPeer.SendAsync(socket, reply, seed: 7, token);
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, server.Endpoint, mode: mode);
        using var client = await proxy.ConnectAsync();

        await StreamPeer.SendAsync(client, request, seed: 3, CancellationToken.None);
        (byte[] hash, long count) = await StreamPeer.ReceiveAsync(client, CancellationToken.None);

        Assert.Equal(request, await received.Task);
        Assert.Equal(reply, count);
        Assert.Equal(StreamPeer.HashOf(reply, 7), hash);
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.ClientClosed, stats.CloseReason);
        Assert.Equal(request, stats.BytesClientToTarget);
        Assert.Equal(reply, stats.BytesTargetToClient);
    }

    [Theory]
    [InlineData(CopyMode.Splice)]
    [InlineData(CopyMode.Buffered)]
    public async Task Target_reset_mid_stream_resets_the_client_and_the_proxy_keeps_serving(CopyMode mode)
    {
        const int before = 1024 * 1024;
        int accepted = 0;
        // The first connection gets 1 MiB and then a reset; later ones an echo.
        await using var target = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            if (Interlocked.Increment(ref accepted) > 1)
            {
                byte[] buffer = new byte[65536];
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, token);
                socket.Shutdown(SocketShutdown.Send);
                return;
            }
            await socket.SendAsync(new byte[before], SocketFlags.None, token);
            await Task.Delay(100, token);
            socket.LingerState = new LingerOption(true, 0); // close() now sends RST
            socket.Close();
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, target.Endpoint, mode: mode);
        using (var client = await proxy.ConnectAsync())
        {
            long total = 0;
            byte[] buffer = new byte[65536];
            var error = await Assert.ThrowsAsync<SocketException>(async () =>
            {
                // Read until the reset arrives; the proxy must not turn it into a clean EOF.
                while (true)
                {
                    int n = await client.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0) throw new InvalidOperationException($"clean EOF after {total} bytes: the reset was hidden");
                    total += n;
                }
            });
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        }
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.Reset, stats.CloseReason);
        Assert.Contains("target side", stats.Error);

        // One connection's failure never stops the proxy: the same proxy serves the next client.
        using var next = await proxy.ConnectAsync();
        StreamPeer.Result result = await StreamPeer.ExchangeAsync(next, before, 9, CancellationToken.None);
        Assert.Equal(result.SentHash, result.ReceivedHash);
        Assert.Equal(CloseReason.ClientClosed, proxy.Observer.Next().CloseReason);
    }

    [Fact]
    public async Task Client_reset_is_reported_and_the_same_proxy_serves_the_next_client()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        using var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, mode: CopyMode.Splice);
        using (var client = await proxy.ConnectAsync())
        {
            await client.SendAsync(new byte[100_000], SocketFlags.None);
            client.LingerState = new LingerOption(true, 0);
        }
        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(CloseReason.Reset, stats.CloseReason); // no FIN was sent: a clean close would be a lie

        using var second = await proxy.ConnectAsync();
        StreamPeer.Result result = await StreamPeer.ExchangeAsync(second, 4 * 1024 * 1024, 11, CancellationToken.None);
        Assert.Equal(result.SentHash, result.ReceivedHash);
    }
}
