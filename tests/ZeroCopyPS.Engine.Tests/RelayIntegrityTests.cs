using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Bulk data both ways at once through the proxy, every byte verified by SHA-256.</summary>
public class RelayIntegrityTests
{
    private const long BulkBytes = 256L * 1024 * 1024;

    public static TheoryData<Transport, Transport, CopyMode> Pairs()
    {
        var data = new TheoryData<Transport, Transport, CopyMode>();
        foreach (CopyMode mode in new[] { CopyMode.Splice, CopyMode.Buffered, CopyMode.Auto })
        {
            data.Add(Transport.Tcp4, Transport.Tcp4, mode);
            data.Add(Transport.Tcp4, Transport.Unix, mode);
            data.Add(Transport.Unix, Transport.Unix, mode);
            data.Add(Transport.Tcp6, Transport.Tcp6, mode);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public async Task Bulk_256MiB_both_directions_at_once_arrives_intact(Transport listen, Transport target, CopyMode mode)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var targetSide = new TaskCompletionSource<StreamPeer.Result>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(target, async (socket, token) =>
            targetSide.TrySetResult(await StreamPeer.ExchangeAsync(socket, BulkBytes, seed: 2, token)));
        using var proxy = ProxyHarness.Start(listen, server.Endpoint, mode: mode);

        using var client = await proxy.ConnectAsync();
        StreamPeer.Result clientSide = await StreamPeer.ExchangeAsync(client, BulkBytes, seed: 1, timeout.Token);
        StreamPeer.Result serverSide = await targetSide.Task.WaitAsync(timeout.Token);

        Assert.Equal(BulkBytes, serverSide.BytesReceived);
        Assert.Equal(BulkBytes, clientSide.BytesReceived);
        Assert.Equal(clientSide.SentHash, serverSide.ReceivedHash);
        Assert.Equal(serverSide.SentHash, clientSide.ReceivedHash);

        ConnectionStatistics stats = proxy.Observer.Next();
        Assert.Equal(BulkBytes, stats.BytesClientToTarget);
        Assert.Equal(BulkBytes, stats.BytesTargetToClient);
        Assert.Equal(2 * BulkBytes, stats.BytesSpliced + stats.BytesCopied);
        Assert.Equal(0, stats.BytesLost);
        Assert.Null(stats.Error);
        Assert.Contains(stats.CloseReason, new[] { CloseReason.ClientClosed, CloseReason.TargetClosed });
        switch (mode)
        {
            case CopyMode.Splice:
                Assert.Equal(CopyPath.Splice, stats.CopyPathUsed);
                Assert.Equal(FallbackReason.None, stats.FallbackReason);
                break;
            case CopyMode.Buffered:
                Assert.Equal(CopyPath.Buffered, stats.CopyPathUsed);
                break;
            default:
                // Auto starts buffered and switches to splice once reads are large: a bulk stream ends up mostly spliced.
                Assert.True(stats.BytesSpliced > stats.BytesCopied, $"spliced {stats.BytesSpliced}, copied {stats.BytesCopied}");
                break;
        }
    }
}
