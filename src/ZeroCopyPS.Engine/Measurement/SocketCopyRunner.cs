using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// The article's benchmark, in-process. Per (transport, size) it makes two fresh socket pairs for every
/// copy (src pair and dst pair, like setupServers), a writer thread pushes the bytes into the src pair and
/// closes it, a reader thread drains the dst pair, and the timed part is SocketCopier.Copy(srcServer,
/// dstClient) on the calling thread. The modes are interleaved copy by copy (alternating their order), so
/// Splice and Buffered see the same machine state and the speedup compares like with like. With
/// <see cref="CopySource.File"/> the src pair and the writer give way to a <see cref="CopySourceFile"/> of the
/// group's size (made, page-cache warm, before the group's first copy and deleted after its last), and the
/// timed part is FileSocketCopier.Copy(file, dstClient): Go's io.Copy from an *os.File.
/// </summary>
public sealed class SocketCopyRunner : IDisposable
{
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(30);

    private readonly SocketCopyRunSettings _settings;
    private readonly CancellationToken _cancellation;
    private readonly Action<string, int> _progress;
    private readonly Dictionary<CopyMethod, SocketCopier> _copiers = new();
    private readonly Dictionary<CopyMethod, FileSocketCopier> _fileCopiers = new();
    private readonly PeerWorker _writer = new("Measure-SocketCopy writer");
    private readonly PeerWorker _reader = new("Measure-SocketCopy reader");
    private readonly byte[] _writeBuffer;
    private readonly byte[] _readBuffer = new byte[256 * 1024];

    public SocketCopyRunner(SocketCopyRunSettings settings, Action<string, int> progress, CancellationToken cancellation)
    {
        foreach (CopyMethod mode in settings.Modes)
            if (!Supports(settings.Source, mode)) throw new ArgumentException($"A {settings.Source} source cannot be copied with {mode}.", nameof(settings));
        _settings = settings;
        _progress = progress;
        _cancellation = cancellation;
        // The article writes one 1 MiB zeroed message; chunks of at most 1 MiB do the same for any size.
        _writeBuffer = settings.Source == CopySource.File ? Array.Empty<byte>() : new byte[(int)Math.Min(settings.Sizes.Max(), 1024 * 1024)];
    }

    /// <summary>The methods each source can measure: sendfile(2) reads only from a file, Auto is the proxy's socket-to-socket mode.</summary>
    public static bool Supports(CopySource source, CopyMethod method) => source == CopySource.File
        ? method is CopyMethod.Sendfile or CopyMethod.Splice or CopyMethod.Buffered
        : method is CopyMethod.Auto or CopyMethod.Splice or CopyMethod.Buffered;

    /// <summary>Why nothing can be measured in-process here, or null. The copier drives sockets with Linux system calls.</summary>
    public static string? UnsupportedReason =>
        OperatingSystem.IsLinux() ? null
        : $"Measure-SocketCopy copies with the engine's Linux system calls (splice(2), sendfile(2), read(2)/write(2), poll(2)); this is {RuntimeInformation.OSDescription}. Use -Endpoint to measure a running proxy instead.";

    /// <summary>Runs every (transport, size) group, yielding its measurements (one per mode) as soon as the group ends.</summary>
    public IEnumerable<SocketCopyMeasurement> Run(Action<MeasurementError> reportError)
    {
        int groups = _settings.Transports.Count * _settings.Sizes.Count, group = 0;
        foreach (LoopbackTransport transport in _settings.Transports)
        {
            LoopbackSocketPairs? factory = null;
            string? setupError = UnsupportedReason;
            if (setupError is null)
            {
                try { factory = new LoopbackSocketPairs(transport); }
                catch (SocketException e)
                {
                    setupError = $"Could not listen on a {transport} loopback socket: {e.Message}";
                    reportError(new MeasurementError(e, MeasurementFailure.SetupFailed, transport.ToString()));
                }
            }
            using (factory)
            {
                foreach (long size in _settings.Sizes)
                {
                    var results = _settings.Modes.Select(mode => new SocketCopyMeasurement(_settings.Source, mode, transport, size)).ToArray();
                    if (setupError is not null || factory is null)
                    {
                        foreach (SocketCopyMeasurement m in results) { m.Status = MeasurementStatus.Skipped; m.SkipReason = setupError ?? "no socket factory"; }
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

    private void RunGroup(LoopbackSocketPairs factory, long size, SocketCopyMeasurement[] results, int group, int groups, Action<MeasurementError> reportError)
    {
        int modes = results.Length;
        var samples = new CopySamples[modes];
        for (int m = 0; m < modes; m++) samples[m] = new CopySamples(_settings.Iterations);
        using CopySourceFile? file = CreateSourceFile(size, samples, reportError);

        string label = $"{(file is null ? "" : "File → ")}{factory.Transport} {ByteSizeText.Describe(size)}";
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
                RunOne(factory, results[m].Mode, size, file, samples[m], counted: iteration >= 0, reportError);
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

        for (int m = 0; m < results.Length; m++) samples[m].Summarise(results[m]);
        SocketCopyMeasurement? buffered = results.FirstOrDefault(r => r.Mode == CopyMethod.Buffered && r.Status == MeasurementStatus.Completed);
        if (buffered is not null)
        {
            foreach (SocketCopyMeasurement r in results)
                if (r.Mode != CopyMethod.Buffered && r.Status == MeasurementStatus.Completed && r.NanosecondsPerCopy > 0)
                    r.SpeedupOverBuffered = Math.Round(buffered.NanosecondsPerCopy / r.NanosecondsPerCopy, 3);
        }
    }

    // A file source's file, or null (for a socket source, or with every sample failed when the temp folder refuses).
    private CopySourceFile? CreateSourceFile(long size, CopySamples[] samples, Action<MeasurementError> reportError)
    {
        if (_settings.Source != CopySource.File) return null;
        try
        {
            return CopySourceFile.Create(size);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (CopySamples s in samples) s.Fail(MeasurementStatus.Failed, $"Could not create the {size}-byte source file in the temp folder: {e.Message}");
            reportError(new MeasurementError(e, MeasurementFailure.SetupFailed, $"File {size}"));
            return null;
        }
    }

    private void RunOne(LoopbackSocketPairs factory, CopyMethod mode, long size, CopySourceFile? file, CopySamples samples, bool counted, Action<MeasurementError> reportError)
    {
        Socket? srcClient = null, srcServer = null, dstClient = null, dstServer = null;
        try
        {
            if (file is null) (srcClient, srcServer) = factory.CreatePair();
            (dstClient, dstServer) = factory.CreatePair();
            Socket readerSocket = dstServer;
            if (srcClient is { } writerSocket) _writer.Start(() => Write(writerSocket, size));
            _reader.Start(() => Drain(readerSocket));

            // The timed part: nothing but the copy between the three clock reads.
            bool cpu = ThreadCpuClock.TryGetCurrentThreadCpuTime(out long cpuBefore);
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            SocketCopyResult result = file is null ? GetCopier(mode).Copy(srcServer!, dstClient, _cancellation) : GetFileCopier(mode).Copy(file, dstClient, _cancellation);
            long elapsed = Stopwatch.GetTimestamp() - start;
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            cpu = cpu & ThreadCpuClock.TryGetCurrentThreadCpuTime(out long cpuAfter);

            if (!_reader.Wait(PeerTimeout) || !_writer.Wait(PeerTimeout))
                throw new TimeoutException($"The reader or writer peer did not finish within {PeerTimeout.TotalSeconds} s after the copy.");
            if (srcClient is not null && _writer.Error is { } writeError) throw new IOException($"The writer failed: {writeError.Message}", writeError);
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
            string from = file is null ? "" : " from a file";
            samples.Fail(MeasurementStatus.Failed, $"{mode} copy of {size} bytes{from} over {factory.Transport} failed: {e.Message}");
            reportError(new MeasurementError(e, MeasurementFailure.CopyFailed, $"{mode}{(file is null ? "" : " File")} {factory.Transport} {size}"));
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

    private static bool ExpectedPath(CopyMethod mode, CopyPath path) => mode switch
    {
        CopyMethod.Splice => path == CopyPath.Splice,
        CopyMethod.Buffered => path == CopyPath.Buffered,
        CopyMethod.Sendfile => path == CopyPath.Sendfile,
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

    private long Drain(Socket socket) => PeerWorker.ReadToEnd(socket, _readBuffer);

    private SocketCopier GetCopier(CopyMethod mode)
    {
        if (!_copiers.TryGetValue(mode, out SocketCopier? copier))
            _copiers[mode] = copier = new SocketCopier((CopyMode)mode, _settings.PipeSizeBytes, _settings.BufferSizeBytes);
        return copier;
    }

    private FileSocketCopier GetFileCopier(CopyMethod mode)
    {
        if (!_fileCopiers.TryGetValue(mode, out FileSocketCopier? copier))
            _fileCopiers[mode] = copier = new FileSocketCopier(mode, _settings.PipeSizeBytes, _settings.BufferSizeBytes);
        return copier;
    }

    public void Dispose()
    {
        _writer.Dispose();
        _reader.Dispose();
        foreach (SocketCopier copier in _copiers.Values) copier.Dispose();
        foreach (FileSocketCopier copier in _fileCopiers.Values) copier.Dispose();
    }
}
