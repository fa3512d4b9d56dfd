using System.Net;
using System.Net.Sockets;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Measurement;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>The article's setup: two loopback pairs, a writer on one, a reader on the other, a copy between.</summary>
public class SocketCopierTests
{
    private static (Socket Client, Socket Server) Pair()
    {
        using var pairs = new LoopbackSocketPairs();
        return pairs.CreatePair();
    }

    [Theory]
    [InlineData(CopyMode.Splice, CopyPath.Splice)]
    [InlineData(CopyMode.Buffered, CopyPath.Buffered)]
    public async Task Copies_every_byte_until_eof_and_half_closes_the_destination(CopyMode mode, CopyPath expected)
    {
        const int size = 1024 * 1024 + 5;
        using var copier = new SocketCopier(mode);
        for (int round = 0; round < 3; round++)
        {
            var (srcClient, srcServer) = Pair();
            var (dstClient, dstServer) = Pair();
            using (srcClient) using (srcServer) using (dstClient) using (dstServer)
            {
                Task<byte[]> writer = Task.Run(() => StreamPeer.SendAsync(srcClient, size, round, CancellationToken.None));
                Task<(byte[] Hash, long Count)> reader = Task.Run(() => StreamPeer.ReceiveAsync(dstServer, CancellationToken.None));
                SocketCopyResult result = copier.Copy(srcServer, dstClient);
                (byte[] hash, long count) = await reader; // completes only because Copy shut the destination's write side
                Assert.Equal(size, result.Bytes);
                Assert.Equal(size, count);
                Assert.Equal(await writer, hash);
                Assert.Equal(expected, result.CopyPathUsed);
                Assert.True(result.Syscalls >= 2);
            }
        }
    }

    [Fact]
    public void A_splice_copy_allocates_no_managed_memory_once_warm()
    {
        using var copier = new SocketCopier(CopyMode.Splice);
        long allocated = 0;
        for (int round = 0; round < 4; round++)
        {
            var (srcClient, srcServer) = Pair();
            var (dstClient, dstServer) = Pair();
            using (srcClient) using (srcServer) using (dstClient) using (dstServer)
            {
                // 256 KiB fits the loopback socket buffers: write all, close, then copy on this thread alone.
                srcClient.Send(new byte[256 * 1024]);
                srcClient.Shutdown(SocketShutdown.Send);
                dstServer.ReceiveBufferSize = 4 * 1024 * 1024;
                long before = GC.GetAllocatedBytesForCurrentThread();
                SocketCopyResult result = copier.Copy(srcServer, dstClient);
                long after = GC.GetAllocatedBytesForCurrentThread();
                if (round > 0) allocated = Math.Max(allocated, after - before);
                Assert.Equal(256 * 1024, result.Bytes);
            }
        }
        Assert.InRange(allocated, 0, 64);
    }
}
