using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ZeroCopyPS.Engine;
using ZeroCopyPS.Engine.Measurement;
using ZeroCopyPS.Engine.Interop;

namespace ZeroCopyPS;

/// <summary>What one in-process Measure-SocketCopy run covers.</summary>
internal sealed record SocketCopyRunSettings(
    IReadOnlyList<string> Transports,
    IReadOnlyList<long> Sizes,
    IReadOnlyList<CopyMode> Modes,
    int Iterations,
    TimeSpan Duration,
    int PipeSizeBytes,
    int BufferSizeBytes);

/// <summary>
/// The article's benchmark, in-process. Per (transport, size) it makes two fresh socket pairs for every
/// copy (src pair and dst pair, like setupServers), a writer thread pushes the bytes into the src pair and
/// closes it, a reader thread drains the dst pair, and the timed part is SocketCopier.Copy(srcServer,
/// dstClient) on the calling thread. The modes are interleaved copy by copy (alternating their order), so
/// Splice and Buffered see the same machine state and the speedup compares like with like.
/// </summary>
internal sealed class SocketCopyRunner : IDisposable
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(30);

    private readonly SocketCopyRunSettings _settings;
    private readonly CancellationToken _cancellation;
    private readonly Action<string, int> _progress;
    private readonly Dictionary<CopyMode, SocketCopier> _copiers = new();
    private readonly PeerWorker _writer = new("Measure-SocketCopy writer");
    private readonly PeerWorker _reader = new("Measure-SocketCopy reader");
    private readonly byte[] _writeBuffer;
    private readonly byte[] _readBuffer = new byte[256 * 1024];

    public SocketCopyRunner(SocketCopyRunSettings settings, Action<string, int> progress, CancellationToken cancellation)
    {
        _settings = settings;
        _progress = progress;
        _cancellation = cancellation;
        // The article writes one 1 MiB zeroed message; chunks of at most 1 MiB do the same for any size.
        _writeBuffer = new byte[(int)Math.Min(settings.Sizes.Max(), 1024 * 1024)];
    }

    /// <summary>Why nothing can be measured in-process here, or null. The copier drives sockets with Linux system calls.</summary>
    public static string? UnsupportedReason =>
        OperatingSystem.IsLinux() ? null
        : $"Measure-SocketCopy copies with the engine's Linux system calls (splice(2), read(2)/write(2), poll(2)); this is {RuntimeInformation.OSDescription}. Use -Endpoint to measure a running proxy instead.";

    /// <summary>Runs every (transport, size) group, yielding its measurements (one per mode) as soon as the group ends.</summary>
    public IEnumerable<SocketCopyMeasurement> Run(Action<ErrorRecordInfo> reportError)
    {
        int groups = _settings.Transports.Count * _settings.Sizes.Count, group = 0;
        foreach (string transport in _settings.Transports)
        {
            LoopbackPairFactory? factory = null;
            string? setupError = UnsupportedReason;
            if (setupError is null)
            {
                try { factory = new LoopbackPairFactory(transport); }
                catch (SocketException e)
                {
                    setupError = $"Could not listen on a {transport} loopback socket: {e.Message}";
                    reportError(new ErrorRecordInfo(e, "MeasurementSetupFailed", transport));
                }
            }
            using (factory)
            {
                foreach (long size in _settings.Sizes)
                {
                    var results = _settings.Modes.Select(mode => new SocketCopyMeasurement(mode, transport, size)).ToArray();
                    if (setupError is not null || factory is null)
                    {
                        foreach (SocketCopyMeasurement m in results) MarkSkipped(m, MeasurementStatus.Skipped, setupError ?? "no socket factory");
                    }
                    else
                    {
                        RunGroup(factory, size, results, group, groups, reportError);
                    }
                    group++;
                    foreach (SocketCopyMeasurement m in results) yield return m;
                }
            }
        }
    }

    private void RunGroup(LoopbackPairFactory factory, long size, SocketCopyMeasurement[] results, int group, int groups, Action<ErrorRecordInfo> reportError)
    {
        int modes = results.Length;
        var samples = new ModeSamples[modes];
        for (int m = 0; m < modes; m++) samples[m] = new ModeSamples(_settings.Iterations);

        string label = $"{factory.Transport} {ValidateByteSizeAttribute.Describe(size)}";
        var clock = Stopwatch.StartNew();
        TimeSpan deadline = _settings.Duration * modes;
        long lastProgress = -1;

        // One warm-up copy per mode (JIT, first pipe, first buffer), then the counted copies.
        for (int iteration = -1; iteration < _settings.Iterations; iteration++)
        {
            _cancellation.ThrowIfCancellationRequested();
            if (iteration >= 1 && clock.Elapsed >= deadline) break;
            bool anyRunning = false;
            for (int k = 0; k < modes; k++)
            {
                int m = (iteration & 1) == 0 ? k : modes - 1 - k;   // alternate the order: no mode always goes first
                if (samples[m].Failure is not null) continue;
                anyRunning = true;
                RunOne(factory, results[m].Mode, size, samples[m], counted: iteration >= 0, reportError);
            }
            if (!anyRunning) break;

            long now = clock.ElapsedMilliseconds;
            if (lastProgress < 0 || now - lastProgress >= 200)
            {
                lastProgress = now;
                double fraction = Math.Max((iteration + 1) / (double)_settings.Iterations, clock.Elapsed / deadline);
                int percent = (int)Math.Clamp(100.0 * (group + Math.Min(fraction, 1.0)) / groups, 0, 100);
                _progress($"{label}: copy {iteration + 1} of {_settings.Iterations} per mode ({string.Join(", ", results.Select(r => r.Mode))})", percent);
            }
        }

        for (int m = 0; m < modes; m++) Summarise(results[m], samples[m]);
        SocketCopyMeasurement? buffered = results.FirstOrDefault(r => r.Mode == CopyMode.Buffered && r.Status == MeasurementStatus.Completed);
        if (buffered is not null)
        {
            foreach (SocketCopyMeasurement r in results)
                if (r.Mode != CopyMode.Buffered && r.Status == MeasurementStatus.Completed && r.NanosecondsPerCopy > 0)
                    r.SpeedupOverBuffered = Math.Round(buffered.NanosecondsPerCopy / r.NanosecondsPerCopy, 3);
        }
    }

    private void RunOne(LoopbackPairFactory factory, CopyMode mode, long size, ModeSamples samples, bool counted, Action<ErrorRecordInfo> reportError)
    {
        SocketCopier copier = GetCopier(mode);
        Socket? srcClient = null, srcServer = null, dstClient = null, dstServer = null;
        try
        {
            (srcClient, srcServer) = factory.CreatePair();
            (dstClient, dstServer) = factory.CreatePair();
            Socket writerSocket = srcClient, readerSocket = dstServer;
            _writer.Start(() => Write(writerSocket, size));
            _reader.Start(() => Drain(readerSocket));

            // The timed part: nothing but the copy between the three clock reads.
            bool cpu = ThreadCpuClock.TryGetCurrentThreadCpuTime(out long cpuBefore);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            SocketCopyResult result = copier.Copy(srcServer, dstClient, _cancellation);
            long elapsed = Stopwatch.GetTimestamp() - start;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            cpu = cpu & ThreadCpuClock.TryGetCurrentThreadCpuTime(out long cpuAfter);

            if (!_reader.Wait(PeerTimeout) || !_writer.Wait(PeerTimeout))
                throw new TimeoutException($"The reader or writer peer did not finish within {PeerTimeout.TotalSeconds} s after the copy.");
            if (_writer.Error is { } writeError) throw new IOException($"The writer failed: {writeError.Message}", writeError);
            if (_reader.Error is { } readError) throw new IOException($"The reader failed: {readError.Message}", readError);
            if (result.Bytes != size || _reader.Result != size)
                throw new IOException($"Copied {result.Bytes} and received {_reader.Result} bytes of {size}.");

            if (!ExpectedPath(mode, result.CopyPathUsed))
            {
                samples.Fail(MeasurementStatus.Skipped,
                    $"{mode} was requested but the bytes went through the {result.CopyPathUsed} path (fallback: {result.FallbackReason}); a {result.CopyPathUsed} copy is not reported as {mode}.");
                return;
            }
            if (counted) samples.Add(elapsed, allocated, result.Syscalls, cpu ? cpuAfter - cpuBefore : -1, result.CopyPathUsed);
        }
        catch (Exception e) when (e is SocketException or IOException or TimeoutException or InvalidOperationException)
        {
            samples.Fail(MeasurementStatus.Failed, $"{mode} copy of {size} bytes over {factory.Transport} failed: {e.Message}");
            reportError(new ErrorRecordInfo(e, "SocketCopyFailed", $"{mode} {factory.Transport} {size}"));
        }
        finally
        {
            // Closing every socket also unblocks a peer still inside Send/Receive after a failure or Ctrl+C.
            srcClient?.Dispose();
            srcServer?.Dispose();
            dstClient?.Dispose();
            dstServer?.Dispose();
            _writer.Wait(TimeSpan.FromSeconds(5));
            _reader.Wait(TimeSpan.FromSeconds(5));
        }
    }

    private static bool ExpectedPath(CopyMode mode, CopyPath path) => mode switch
    {
        CopyMode.Splice => path == CopyPath.Splice,
        CopyMode.Buffered => path == CopyPath.Buffered,
        _ => path is CopyPath.Splice or CopyPath.Mixed or CopyPath.Buffered,
    };

    private long Write(Socket socket, long size)
    {
        long remaining = size;
        while (remaining > 0)
            remaining -= socket.Send(_writeBuffer, 0, (int)Math.Min(_writeBuffer.Length, remaining), SocketFlags.None);
        socket.Dispose();   // the article's srcClient.Close(): the copier then sees EOF
        return size;
    }

    private long Drain(Socket socket)
    {
        long total = 0;
        int read;
        while ((read = socket.Receive(_readBuffer, 0, _readBuffer.Length, SocketFlags.None)) > 0) total += read;
        return total;
    }

    private SocketCopier GetCopier(CopyMode mode)
    {
        if (!_copiers.TryGetValue(mode, out SocketCopier? copier))
            _copiers[mode] = copier = new SocketCopier(mode, _settings.PipeSizeBytes, _settings.BufferSizeBytes);
        return copier;
    }

    private static void MarkSkipped(SocketCopyMeasurement m, MeasurementStatus status, string reason)
    {
        m.Status = status;
        m.SkipReason = reason;
    }

    private static void Summarise(SocketCopyMeasurement m, ModeSamples s)
    {
        m.Iterations = s.Count;
        if (s.Failure is not null)
        {
            MarkSkipped(m, s.FailureStatus, s.Failure);
            return;
        }
        if (s.Count == 0)
        {
            MarkSkipped(m, MeasurementStatus.Skipped, "No copy was counted.");
            return;
        }
        TimingStatistics t = TimingStatistics.FromTicks(s.Ticks, s.Count);
        m.Status = MeasurementStatus.Completed;
        m.CopyPathUsed = s.Path;
        m.NanosecondsPerCopy = Math.Round(t.MeanNanoseconds, 1);
        m.MeanTime = TimingStatistics.ToTimeSpan(t.MeanNanoseconds);
        m.MedianTime = TimingStatistics.ToTimeSpan(t.MedianNanoseconds);
        m.P99Time = TimingStatistics.ToTimeSpan(t.P99Nanoseconds);
        m.MinTime = TimingStatistics.ToTimeSpan(t.MinNanoseconds);
        double seconds = t.MeanNanoseconds / 1e9;
        m.ThroughputMBps = Math.Round(m.SizeBytes / seconds / 1e6, 1);
        m.ThroughputGbps = Math.Round(m.SizeBytes * 8 / seconds / 1e9, 3);
        m.AllocatedBytesPerCopy = s.AllocatedBytes / s.Count;
        m.SyscallsPerCopy = Math.Round(s.Syscalls / (double)s.Count, 1);
        m.CpuTimePerCopy = s.CpuNanoseconds < 0 ? null : TimingStatistics.ToTimeSpan(s.CpuNanoseconds / (double)s.Count);
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        foreach (SocketCopier copier in _copiers.Values) copier.Dispose();
    }

    /// <summary>The counted copies of one mode in one group.</summary>
    private sealed class ModeSamples
    {
        public ModeSamples(int capacity) => Ticks = new long[capacity];

        public long[] Ticks { get; }
        public int Count { get; private set; }
        public long AllocatedBytes { get; private set; }
        public long Syscalls { get; private set; }
        /// <summary>-1 once any copy could not read the thread CPU clock.</summary>
        public long CpuNanoseconds { get; private set; }
        public CopyPath Path { get; private set; }
        public string? Failure { get; private set; }
        public MeasurementStatus FailureStatus { get; private set; }

        public void Add(long ticks, long allocated, long syscalls, long cpuNanoseconds, CopyPath path)
        {
            Ticks[Count++] = ticks;
            AllocatedBytes += allocated;
            Syscalls += syscalls;
            CpuNanoseconds = CpuNanoseconds < 0 || cpuNanoseconds < 0 ? -1 : CpuNanoseconds + cpuNanoseconds;
            Path = Count == 1 || Path == path ? path : CopyPath.Mixed;
        }

        public void Fail(MeasurementStatus status, string reason)
        {
            Failure ??= reason;
            FailureStatus = status;
        }
    }
}

/// <summary>An error for the cmdlet to write (the runner has no PowerShell dependency beyond this).</summary>
internal sealed record ErrorRecordInfo(Exception Exception, string ErrorId, object Target);
