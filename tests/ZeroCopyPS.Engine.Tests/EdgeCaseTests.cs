using System.Net.Sockets;
using System.Runtime.InteropServices;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Epoll;
using ZeroCopyPS.Engine.Policy;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>Regressions for stalls and aborts found in review: urgent data, stale hints, resets after FIN.</summary>
public class EdgeCaseTests
{
    [Theory]
    [InlineData(CopyMode.Splice)]
    [InlineData(CopyMode.Buffered)]
    [InlineData(CopyMode.Auto)]
    public async Task Tcp_urgent_data_is_forwarded_in_band_and_nothing_stalls(CopyMode mode)
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            var all = new List<byte>();
            byte[] buffer = new byte[1024];
            while (all.Count < 9)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
                if (n == 0) break;
                all.AddRange(buffer.AsSpan(0, n).ToArray());
            }
            received.TrySetResult(all.ToArray());
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, server.Endpoint, mode: mode);
        using var client = proxy.Connect();
        client.NoDelay = true;
        client.Send("AAAA"u8.ToArray());
        await Task.Delay(50);
        client.Send("B"u8.ToArray(), SocketFlags.OutOfBand);
        await Task.Delay(50);
        client.Send("CCCC"u8.ToArray());
        byte[] bytes = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("AAAABCCCC", System.Text.Encoding.ASCII.GetString(bytes));
    }

    [Fact]
    public async Task Auto_direction_that_falls_back_after_a_splice_phase_still_reads_new_data()
    {
        // One pipe. B streams 20 KiB (Auto switches it to splice), then A's download takes the only
        // pipe and keeps it (A never reads). B's next message must fall back to buffered and arrive.
        const int first = 20 * 1024;
        var bReceived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServer(Transport.Tcp4, async (socket, token) =>
        {
            byte[] buffer = new byte[65536];
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (n > 0 && buffer[0] == (byte)'S')
            {
                await StreamPeer.SendAsync(socket, 64L * 1024 * 1024, 1, token); // blocks: A never reads
                return;
            }
            long total = n;
            while (total < first + 5 && (n = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0) total += n;
            if (total == first + 5) bReceived.TrySetResult();
        });
        using var proxy = ProxyHarness.Start(Transport.Tcp4, server.Endpoint,
            o => new ProxyOptions(o.Listen, o.Target) { CopyMode = CopyMode.Auto, MaxPipes = 1 });
        using var b = await proxy.ConnectAsync();
        await b.SendAsync(new byte[first], SocketFlags.None);
        await Task.Delay(200);
        using var a = await proxy.ConnectAsync();
        await a.SendAsync("S"u8.ToArray(), SocketFlags.None);
        for (int i = 0; i < 100 && proxy.Server.GetStatus().PipesInUse == 0; i++) await Task.Delay(20);
        Assert.Equal(1, proxy.Server.GetStatus().PipesInUse);

        await b.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        await bReceived.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [DllImport("libc", SetLastError = true)] private static extern int inotify_init1(int flags);
    [DllImport("libc", SetLastError = true)] private static extern int inotify_add_watch(int fd, string path, uint mask);
    [DllImport("libc", SetLastError = true)] private static extern unsafe int pipe2(int* fds, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);

    [Fact]
    public unsafe void Auto_falls_back_when_splice_is_refused_after_buffered_bytes()
    {
        // inotify: read(2) works, splice(2) says EINVAL. Auto copies the first events buffered, then
        // tries splice: that refusal must mean "fall back", not "fail", though bytes were delivered.
        string dir = Directory.CreateTempSubdirectory("zc-auto").FullName;
        int inotify = inotify_init1(0x800 /* IN_NONBLOCK */);
        int* pipe = stackalloc int[2];
        Assert.Equal(0, pipe2(pipe, 0x800));
        try
        {
            inotify_add_watch(inotify, dir, 0x100 /* IN_CREATE */);
            for (int i = 0; i < 1200; i++) File.WriteAllText(Path.Combine(dir, $"file-with-a-longish-name-{i:D5}"), "");
            var context = new RelayContext(new LoopPipeCache(new PipePool(4, long.MaxValue, PipeSizeClasses.Fixed(0))), new BufferPool(64 * 1024), CopyMode.Auto, 16 * 1024);
            var direction = new RelayDirection(inotify, pipe[1], clientToTarget: true, CopyMode.Auto, Environment.TickCount64);
            RelayOutcome outcome = direction.Run(context, Environment.TickCount64);
            Assert.NotEqual(RelayOutcome.Failed, outcome);
            Assert.Equal(FallbackReason.SpliceNotSupported, direction.Fallback);
            Assert.True(direction.BytesCopied > 16 * 1024);
        }
        finally
        {
            close(inotify);
            close(pipe[0]);
            close(pipe[1]);
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(EngineKind.Epoll)]
    [InlineData(EngineKind.Managed)]
    public async Task A_reset_after_the_peer_finished_sending_is_reported_at_once(EngineKind engine)
    {
        // The reset follows the relayed FIN at once, before the target's kernel acknowledged the FIN: SIOCOUTQ then
        // counts the FIN's sequence number, which must not come off the bytes delivered (it did: 99 of 100).
        await using var silent = new TestServer(Transport.Tcp4, async (socket, token) => await Task.Delay(Timeout.Infinite, token));
        using var proxy = ProxyHarness.Start(Transport.Tcp4, silent.Endpoint, engine: engine);
        using var client = await proxy.ConnectAsync();
        await client.SendAsync(new byte[100], SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);  // FIN: client→target finishes
        await Eventually.TrueAsync(() => proxy.Server.GetConnections() is [{ State: ConnectionState.HalfClosed, BytesClientToTarget: 100 }],
            TimeSpan.FromSeconds(10), "the proxy to relay the 100 bytes and the FIN");
        client.LingerState = new LingerOption(true, 0);
        client.Close();                        // then RST while the target stays silent
        ConnectionStatistics stats = proxy.Observer.Next(TimeSpan.FromSeconds(5)); // half-close timeout is 60 s
        Assert.Equal(CloseReason.Reset, stats.CloseReason);
        Assert.Equal(100, stats.BytesClientToTarget);
    }
}
