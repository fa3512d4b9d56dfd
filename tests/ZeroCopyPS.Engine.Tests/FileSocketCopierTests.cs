using System.Net.Sockets;
using System.Runtime.Versioning;
using ZeroCopyPS.Engine.Measurement;
using ZeroCopyPS.Engine.Tests.Support;

namespace ZeroCopyPS.Engine.Tests;

/// <summary>
/// Measure-SocketCopy -Source File: a temp file sent to a loopback socket by sendfile(2), by splice(2)
/// through a pipe, and by pread/write; the receiver's SHA-256 must be the file's, and the file must go.
/// Linux only, like the copier (sendfile(2), splice(2)).
/// </summary>
[SupportedOSPlatform("linux")]
public class FileSocketCopierTests
{
    // 1 byte; an odd size under the default 64 KiB pipe; odd sizes over it (many pipe refills and socket waits).
    private static readonly long[] Sizes = { 1, 4097, 65_537, 1024 * 1024 + 5, 3 * 1024 * 1024 + 4093 };

    public static TheoryData<CopyMethod, LoopbackTransport, int> Cases()
    {
        var data = new TheoryData<CopyMethod, LoopbackTransport, int>();
        foreach (CopyMethod method in new[] { CopyMethod.Sendfile, CopyMethod.Splice, CopyMethod.Buffered })
            foreach (LoopbackTransport transport in new[] { LoopbackTransport.Tcp, LoopbackTransport.Unix })
                data.Add(method, transport, 0);
        // A pipe grown to 1 MiB and a 4 KiB buffer: the chunk sizes the cmdlet's -PipeSize and -BufferSize set.
        data.Add(CopyMethod.Splice, LoopbackTransport.Tcp, 1024 * 1024);
        data.Add(CopyMethod.Buffered, LoopbackTransport.Unix, 4096);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Sends_every_byte_of_the_file_and_half_closes_the_socket(CopyMethod method, LoopbackTransport transport, int chunkBytes)
    {
        using var pairs = new LoopbackSocketPairs(transport);
        using var copier = method == CopyMethod.Buffered && chunkBytes > 0
            ? new FileSocketCopier(method, bufferSizeBytes: chunkBytes)
            : new FileSocketCopier(method, pipeSizeBytes: chunkBytes);
        CopyPath expected = method switch { CopyMethod.Sendfile => CopyPath.Sendfile, CopyMethod.Splice => CopyPath.Splice, _ => CopyPath.Buffered };
        foreach (long size in Sizes)
        {
            using var file = CopySourceFile.Create(size, seed: (int)size);
            byte[] fileHash = file.ComputeSha256();
            var (client, server) = pairs.CreatePair();
            using (client) using (server)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                Task<(byte[] Hash, long Count)> reader = Task.Run(() => StreamPeer.ReceiveAsync(server, timeout.Token));
                SocketCopyResult result = copier.Copy(file, client, timeout.Token);
                (byte[] hash, long count) = await reader;   // ends only because Copy shut the socket's write side
                Assert.Equal(size, result.Bytes);
                Assert.Equal(size, count);
                Assert.Equal(fileHash, hash);
                Assert.Equal(expected, result.CopyPathUsed);
                Assert.Equal(method == CopyMethod.Splice ? size : 0, result.BytesSpliced);
                Assert.Equal(method == CopyMethod.Buffered ? size : 0, result.BytesCopied);
                Assert.True(result.Syscalls >= 2, $"{result.Syscalls} syscalls");
            }
        }
        if (method == CopyMethod.Splice && chunkBytes > 0) Assert.True(copier.PipeCapacityBytes >= 64 * 1024);
    }

    [Fact]
    public async Task A_splice_copy_cut_short_leaves_nothing_in_the_pipe_for_the_next_copy()
    {
        using var pairs = new LoopbackSocketPairs();
        using var copier = new FileSocketCopier(CopyMethod.Splice);
        using var file = CopySourceFile.Create(8 * 1024 * 1024 + 3, seed: 7);
        var (stalledClient, stalledServer) = pairs.CreatePair();
        using (stalledClient) using (stalledServer)
        {
            // Nobody reads and the buffers are small: the copy waits for POLLOUT with bytes in its pipe (it
            // only ever waits with a non-empty pipe), and the token ends it there.
            stalledServer.ReceiveBufferSize = 64 * 1024;
            stalledClient.SendBufferSize = 64 * 1024;
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            Assert.ThrowsAny<OperationCanceledException>(() => copier.Copy(file, stalledClient, cancel.Token));
        }
        var (client, server) = pairs.CreatePair();
        using (client) using (server)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            Task<(byte[] Hash, long Count)> reader = Task.Run(() => StreamPeer.ReceiveAsync(server, timeout.Token));
            SocketCopyResult result = copier.Copy(file, client, timeout.Token);
            (byte[] hash, long count) = await reader;
            Assert.Equal(file.LengthBytes, result.Bytes);
            Assert.Equal(file.LengthBytes, count);
            Assert.Equal(file.ComputeSha256(), hash);
        }
    }

    [Theory]
    [InlineData(CopyMethod.Sendfile)]
    [InlineData(CopyMethod.Splice)]
    [InlineData(CopyMethod.Buffered)]
    public void A_copy_allocates_no_managed_memory_once_warm(CopyMethod method)
    {
        const int size = 256 * 1024;
        using var pairs = new LoopbackSocketPairs();
        using var copier = new FileSocketCopier(method);
        using var file = CopySourceFile.Create(size);
        long allocated = 0;
        for (int round = 0; round < 4; round++)
        {
            var (client, server) = pairs.CreatePair();
            using (client) using (server)
            {
                // 256 KiB fits the receiver's buffer: the copy runs on this thread alone, no reader in flight.
                server.ReceiveBufferSize = 4 * 1024 * 1024;
                client.SendBufferSize = 4 * 1024 * 1024;
                long before = GC.GetAllocatedBytesForCurrentThread();
                SocketCopyResult result = copier.Copy(file, client);
                long after = GC.GetAllocatedBytesForCurrentThread();
                if (round > 0) allocated = Math.Max(allocated, after - before);
                Assert.Equal(size, result.Bytes);
                long drained = 0;
                byte[] sink = new byte[64 * 1024];
                for (int n; (n = server.Receive(sink)) > 0;) drained += n;
                Assert.Equal(size, drained);
            }
        }
        Assert.InRange(allocated, 0, 64);
    }

    [Fact]
    public void The_source_file_is_made_in_a_directory_of_its_own_and_only_what_it_made_is_deleted()
    {
        var file = CopySourceFile.Create(100_000);
        string directory = file.DirectoryPath, path = file.FilePath;
        Assert.Equal(directory, Path.GetDirectoryName(path));
        Assert.Equal(100_000, new FileInfo(path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        file.Dispose();
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(directory));

        // Someone else's file in its directory: the directory stays, and so does that file.
        var second = CopySourceFile.Create(10);
        string foreign = Path.Combine(second.DirectoryPath, "not-mine.txt");
        File.WriteAllText(foreign, "keep");
        try
        {
            second.Dispose();
            Assert.False(File.Exists(second.FilePath));
            Assert.Equal("keep", File.ReadAllText(foreign));
        }
        finally
        {
            File.Delete(foreign);
            Directory.Delete(second.DirectoryPath);
        }

        // A file put in the source file's own place (another inode at its path) is not its file: it stays.
        var third = CopySourceFile.Create(10);
        File.Delete(third.FilePath);
        File.WriteAllText(third.FilePath, "someone else's");
        try
        {
            third.Dispose();
            Assert.Equal("someone else's", File.ReadAllText(third.FilePath));
        }
        finally
        {
            File.Delete(third.FilePath);
            Directory.Delete(third.DirectoryPath);
        }
    }

    [Fact]
    public void The_runner_measures_each_file_method_and_leaves_no_file_behind()
    {
        var settings = new SocketCopyRunSettings(new[] { LoopbackTransport.Tcp, LoopbackTransport.Unix }, new[] { 65_537L },
            new[] { CopyMethod.Sendfile, CopyMethod.Splice, CopyMethod.Buffered }, Iterations: 3, TimeSpan.FromSeconds(10), 0, 64 * 1024, CopySource.File);
        // Only this class makes zcps-measure-* directories, and a class's tests run one at a time.
        string[] Leftovers() => Directory.GetDirectories(Path.GetTempPath(), "zcps-measure-*");
        string[] before = Leftovers();
        var errors = new List<MeasurementError>();
        List<SocketCopyMeasurement> results;
        using (var runner = new SocketCopyRunner(settings, (_, _) => { }, CancellationToken.None))
            results = runner.Run(errors.Add).ToList();
        Assert.Empty(errors);
        Assert.Empty(Leftovers().Except(before));
        Assert.Equal(6, results.Count);
        foreach (SocketCopyMeasurement m in results)
        {
            Assert.Equal(MeasurementStatus.Completed, m.Status);
            Assert.Equal(CopySource.File, m.Source);
            Assert.Equal(3, m.Iterations);
            Assert.Equal(m.Mode.ToString(), m.CopyPathUsed.ToString());
            Assert.Equal(m.Mode == CopyMethod.Buffered, m.SpeedupOverBuffered is null);
        }
        Assert.Throws<ArgumentException>(() => new SocketCopyRunner(settings with { Source = CopySource.Socket }, (_, _) => { }, CancellationToken.None));
        Assert.Throws<ArgumentException>(() => new SocketCopyRunner(settings with { Modes = new[] { CopyMethod.Auto } }, (_, _) => { }, CancellationToken.None));
    }
}
