using System.Net.Sockets;
using ZeroCopyPS.Engine.Copy;
using ZeroCopyPS.Engine.Proxy;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>The portable engine (what Windows and macOS run), exercised on Linux.</summary>
public class ManagedEngineTests
{
    [Theory]
    [InlineData(Transport.Tcp4, Transport.Tcp4)]
    [InlineData(Transport.Tcp6, Transport.Unix)]
    public async Task Bulk_both_directions_arrives_intact_and_is_reported_as_buffered(Transport listen, Transport target)
    {
        const long bytes = 64L * 1024 * 1024;
        var targetSide = new TaskCompletionSource<StreamPeer.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(target, async (socket, token) =>
            targetSide.TrySetResult(await StreamPeer.ExchangeAsync(socket, bytes, seed: 2, token)));
        using var proxy = ProxyHarness.Start(listen, server.Endpoint, mode: CopyMode.Auto, engine: EngineKind.Managed);
        Assert.Equal(EngineKind.Managed, proxy.Server.Engine);

        using var client = await proxy.ConnectAsync();
        StreamPeer.Result clientSide = await StreamPeer.ExchangeAsync(client, bytes, seed: 1, CancellationToken.None);
        StreamPeer.Result serverSide = await targetSide.Task;
        Assert.Equal(clientSide.SentHash, serverSide.ReceivedHash);
        Assert.Equal(serverSide.SentHash, clientSide.ReceivedHash);

        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(bytes, stats.BytesClientToTarget);
        Assert.Equal(bytes, stats.BytesTargetToClient);
        Assert.Equal(CopyPath.Buffered, stats.CopyPathUsed);
        Assert.Equal(FallbackReason.PlatformWithoutSplice, stats.FallbackReason);
        Assert.Equal(2 * bytes, proxy.Server.GetStatus().BytesCopied);
        Assert.Equal(2, proxy.Server.GetStatus().SpliceFallbacks);
    }

    [Fact]
    public async Task Half_close_and_connect_failure_behave_like_the_epoll_engine()
    {
        await using var replyAfterEof = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            await StreamPeer.ReceiveAsync(socket, token);
            await StreamPeer.SendAsync(socket, 1_000_000, seed: 4, token);
        });
        using (var proxy = ProxyHarness.Start(Transport.Tcp4, replyAfterEof.Endpoint, engine: EngineKind.Managed))
        {
            using var client = await proxy.ConnectAsync();
            await StreamPeer.SendAsync(client, 12345, 3, CancellationToken.None);
            (byte[] hash, long count) = await StreamPeer.ReceiveAsync(client, CancellationToken.None);
            Assert.Equal(1_000_000, count);
            Assert.Equal(StreamPeer.HashOf(1_000_000, 4), hash);
            ConnectionStatistics stats = proxy.Observer.Next();
            Assert.Equal(CloseReason.ClientClosed, stats.CloseReason);
            Assert.Equal(12345, stats.BytesClientToTarget);
        }

        using var refused = ProxyHarness.Start(Transport.Tcp4, "127.0.0.1:1", engine: EngineKind.Managed);
        using var doomed = await refused.ConnectAsync();
        ConnectionStatistics failed = refused.Observer.Next();
        Assert.Equal(CloseReason.ConnectFailed, failed.CloseReason);
        Assert.Contains("refused", failed.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Stop_aborts_what_does_not_finish_within_the_drain_timeout()
    {
        await using var echo = TestServer.Echo(Transport.Tcp4);
        var proxy = ProxyHarness.Start(Transport.Tcp4, echo.Endpoint, engine: EngineKind.Managed);
        using var idle = await proxy.ConnectAsync();
        await idle.SendAsync(new byte[3], SocketFlags.None);
        Assert.Equal(3, await idle.ReceiveAsync(new byte[3], SocketFlags.None));
        proxy.Server.Stop(TimeSpan.FromMilliseconds(300));
        Assert.Equal(CloseReason.ProxyStopped, proxy.Observer.Next().CloseReason);
        Assert.Throws<SocketException>(() => proxy.Connect());
        proxy.Dispose();
    }
}
