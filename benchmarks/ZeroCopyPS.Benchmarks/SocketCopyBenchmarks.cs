using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Measurement;

namespace ZeroCopyPS.Benchmarks;

/// <summary>
/// The article's BenchmarkZeroCopy / BenchmarkNoZeroCopy: copy Size bytes from one loopback TCP pair to
/// another (io.Copy(dst, src)), with SocketCopier in Splice and in Buffered mode. As in the article, the
/// pairs are made fresh for every copy outside the timed part (IterationSetup with one invocation per
/// iteration), a writer thread pushes the bytes into the source pair and closes it, and a reader thread
/// drains the destination pair. MemoryDiagnoser counts every thread of the process: the writer and reader
/// use blocking Send/Receive into preallocated buffers, so what it reports is the copy's own allocation.
/// One copy per iteration means one sample per iteration: IterationCount raises the samples of any job
/// (a short job's 3 would say little); WarmupCount keeps the dry CI smoke quick.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, unrollFactor: 1)]
[IterationCount(60)]
[WarmupCount(3)]
public class SocketCopyBenchmarks
{
    private LoopbackSocketPairs _listener = null!;
    private SocketCopier _splice = null!;
    private SocketCopier _buffered = null!;
    private byte[] _message = null!;
    private readonly byte[] _drainBuffer = new byte[256 * 1024];
    private Socket _srcClient = null!, _srcServer = null!, _dstClient = null!, _dstServer = null!;
    // Long-lived like the article's goroutines are cheap: starting two threads per copy would put thread
    // start-up into the copy's first microseconds.
    private readonly PeerWorker _writer = new("writer");
    private readonly PeerWorker _reader = new("reader");

    [Params(64 * 1024, 1024 * 1024, 16 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _listener = new LoopbackSocketPairs();
        _splice = new SocketCopier(CopyMode.Splice);
        _buffered = new SocketCopier(CopyMode.Buffered);
        _message = new byte[Size];
    }

    // The article's setupServers, once per copy (BenchmarkDotNet runs it outside the measurement).
    [IterationSetup]
    public void SetupServers()
    {
        (_srcClient, _srcServer) = _listener.CreatePair();
        (_dstClient, _dstServer) = _listener.CreatePair();
        Socket srcClient = _srcClient, dstServer = _dstServer;
        _writer.Start(() =>
        {
            int sent = 0;
            while (sent < _message.Length) sent += srcClient.Send(_message, sent, _message.Length - sent, SocketFlags.None);
            srcClient.Dispose();
            return sent;
        });
        _reader.Start(() =>
        {
            long total = PeerWorker.ReadToEnd(dstServer, _drainBuffer);
            dstServer.Dispose();
            return total;
        });
    }

    [IterationCleanup]
    public void Close()
    {
        if (!_writer.Wait(TimeSpan.FromSeconds(30)) || !_reader.Wait(TimeSpan.FromSeconds(30)))
            throw new TimeoutException("The writer or reader did not finish.");
        _srcServer.Dispose();
        _dstClient.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long NoZeroCopy() => Copy(_buffered);

    [Benchmark]
    public long ZeroCopy() => Copy(_splice);

    private long Copy(SocketCopier copier)
    {
        SocketCopyResult result = copier.Copy(_srcServer, _dstClient);
        if (result.Bytes != Size) throw new InvalidOperationException($"Copied {result.Bytes} of {Size} bytes.");
        return result.Bytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _splice.Dispose();
        _buffered.Dispose();
        _listener.Dispose();
        _writer.Dispose();
        _reader.Dispose();
    }
}
