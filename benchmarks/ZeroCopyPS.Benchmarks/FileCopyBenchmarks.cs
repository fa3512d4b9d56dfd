using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ZeroCopyPS.Engine.Measurement;

namespace ZeroCopyPS.Benchmarks;

/// <summary>
/// The article's footnote: Go's io.Copy from an *os.File to a connection uses sendfile(2). Sends a
/// page-cache-warm temp file of Size bytes (CopySourceFile: its own temp directory, deleted in GlobalCleanup)
/// to a loopback TCP pair with FileSocketCopier: Sendfile, Splice (file → pipe → socket) and Buffered
/// (pread/write, the baseline). As in SocketCopyBenchmarks, the pair is made fresh for every copy outside the
/// timed part and a long-lived reader thread drains it; MemoryDiagnoser then reports the copy's own allocation.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1, unrollFactor: 1)]
[IterationCount(60)]
[WarmupCount(3)]
public class FileCopyBenchmarks
{
    private LoopbackSocketPairs _listener = null!;
    private CopySourceFile _file = null!;
    private FileSocketCopier _sendfile = null!;
    private FileSocketCopier _splice = null!;
    private FileSocketCopier _buffered = null!;
    private readonly byte[] _drainBuffer = new byte[256 * 1024];
    private Socket _client = null!, _server = null!;
    private readonly PeerWorker _reader = new("reader");

    [Params(64 * 1024, 1024 * 1024, 16 * 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _listener = new LoopbackSocketPairs();
        _file = CopySourceFile.Create(Size);
        _sendfile = new FileSocketCopier(CopyMethod.Sendfile);
        _splice = new FileSocketCopier(CopyMethod.Splice);
        _buffered = new FileSocketCopier(CopyMethod.Buffered);
    }

    [IterationSetup]
    public void Connect()
    {
        (_client, _server) = _listener.CreatePair();
        Socket server = _server;
        _reader.Start(() =>
        {
            long total = PeerWorker.ReadToEnd(server, _drainBuffer);
            server.Dispose();
            return total;
        });
    }

    [IterationCleanup]
    public void Close()
    {
        if (!_reader.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("The reader did not finish.");
        if (_reader.Result != Size) throw new InvalidOperationException($"The reader received {_reader.Result} of {Size} bytes.");
        _client.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long Buffered() => Copy(_buffered);

    [Benchmark]
    public long Splice() => Copy(_splice);

    [Benchmark]
    public long Sendfile() => Copy(_sendfile);

    private long Copy(FileSocketCopier copier)
    {
        SocketCopyResult result = copier.Copy(_file, _client);
        if (result.Bytes != Size) throw new InvalidOperationException($"Sent {result.Bytes} of {Size} bytes.");
        return result.Bytes;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _sendfile.Dispose();
        _splice.Dispose();
        _buffered.Dispose();
        _file.Dispose();
        _listener.Dispose();
        _reader.Dispose();
    }
}
