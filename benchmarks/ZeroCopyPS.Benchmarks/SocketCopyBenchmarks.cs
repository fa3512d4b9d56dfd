using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ZeroCopyPS.Bench;
using ZeroCopyPS.Engine.Copy;

namespace ZeroCopyPS.Benchmarks;

/// <summary>
/// The article's BenchmarkZeroCopy / BenchmarkNoZeroCopy: copy Size bytes from one loopback TCP pair to
/// another (io.Copy(dst, src)), with SocketCopier in Splice and in Buffered mode. As in the article, the
/// pairs are made fresh for every copy outside the timed part (IterationSetup with one invocation per
/// iteration), a writer thread pushes the bytes into the source pair and closes it, and a reader thread
/// drains the destination pair. MemoryDiagnoser counts every thread of the process: the writer and reader
/// use blocking Send/Receive into preallocated buffers, so what it reports is the copy's own allocation.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, unrollFactor: 1)]
public class SocketCopyBenchmarks
{
    private LoopbackPairListener _listener = null!;
    private SocketCopier _splice = null!;
    private SocketCopier _buffered = null!;
    private byte[] _message = null!;
    private readonly byte[] _drainBuffer = new byte[256 * 1024];
    private Socket _srcClient = null!, _srcServer = null!, _dstClient = null!, _dstServer = null!;
    private Thread? _writer, _reader;

    [Params(64 * 1024, 1024 * 1024, 16 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _listener = new LoopbackPairListener();
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
        _writer = new Thread(() =>
        {
            int sent = 0;
            while (sent < _message.Length) sent += srcClient.Send(_message, sent, _message.Length - sent, SocketFlags.None);
            srcClient.Dispose();
        }) { IsBackground = true };
        _reader = new Thread(() =>
        {
            while (dstServer.Receive(_drainBuffer, 0, _drainBuffer.Length, SocketFlags.None) > 0) { }
            dstServer.Dispose();
        }) { IsBackground = true };
        _writer.Start();
        _reader.Start();
    }

    [IterationCleanup]
    public void Close()
    {
        _writer?.Join();
        _reader?.Join();
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
    }
}
