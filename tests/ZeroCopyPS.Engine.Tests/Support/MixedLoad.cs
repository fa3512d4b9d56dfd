using System.Net.Sockets;

namespace ZeroCopyPS.Engine.Tests.Support;

/// <summary>
/// A bounded mixed workload through a proxy in front of an echo server: sizes from a few bytes (buffered
/// in Auto mode) to 256 KiB (spliced), and every seventh client resetting instead of finishing, so the
/// run has clean closes, resets, both copy paths and lost bytes. Every echoed byte is checked.
/// </summary>
public static class MixedLoad
{
    private static readonly int[] Sizes = [16, 1_000, 20_000, 64 * 1024, 256 * 1024];

    /// <summary>Runs <paramref name="count"/> connections, <paramref name="concurrency"/> at a time; how many were reset by the client.</summary>
    public static async Task<int> RunAsync(ProxyHarness proxy, int count, int concurrency, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource(limit);
        int next = -1, resets = 0;
        async Task Worker()
        {
            while (true)
            {
                int i = Interlocked.Increment(ref next);
                if (i >= count) return;
                if (await OneAsync(proxy, i, cancel.Token)) Interlocked.Increment(ref resets);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        return resets;
    }

    // True when this connection was reset by the client on purpose.
    private static async Task<bool> OneAsync(ProxyHarness proxy, int i, CancellationToken token)
    {
        using Socket client = await proxy.ConnectAsync();
        int size = Sizes[i % Sizes.Length];
        if (i % 7 == 3)
        {
            await client.SendAsync(new byte[size], SocketFlags.None, token);
            client.LingerState = new LingerOption(true, 0); // close = RST
            return true;
        }
        StreamPeer.Result result = await StreamPeer.ExchangeAsync(client, size, i, token);
        Assert.Equal(result.SentHash, result.ReceivedHash);
        return false;
    }
}
