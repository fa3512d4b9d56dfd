namespace ZeroCopyPS.Engine.Measurement;

/// <summary>
/// What copying <see cref="SizeBytes"/> bytes from one loopback socket pair (or from a file) to another pair
/// cost, per copy, for one (Source, Mode, Transport, Size) of a Measure-SocketCopy run: the article's ns/op, B/op and more. Times,
/// allocations, syscalls and CPU are of the copy alone (the timed part), averaged over
/// <see cref="Iterations"/> counted copies; socket set-up and the warm-up copy are not counted.
/// </summary>
public sealed class SocketCopyMeasurement
{
    internal SocketCopyMeasurement(CopySource source, CopyMethod mode, LoopbackTransport transport, long sizeBytes)
    {
        Source = source;
        Mode = mode;
        Transport = transport.ToString();
        SizeBytes = sizeBytes;
    }

    /// <summary>Where the bytes came from: Socket (another loopback pair) or File (a page-cache-warm temp file).</summary>
    public CopySource Source { get; }

    /// <summary>The copy method requested: Splice, Buffered or Auto from a socket; Sendfile, Splice or Buffered from a file.</summary>
    public CopyMethod Mode { get; }

    /// <summary>Tcp (127.0.0.1) or Unix (stream sockets in the temp folder).</summary>
    public string Transport { get; }

    /// <summary>Bytes copied per iteration.</summary>
    public long SizeBytes { get; }

    /// <summary>Counted copies (the warm-up copy is not counted). Less than -Iterations when -Duration ran out first.</summary>
    public int Iterations { get; internal set; }

    public MeasurementStatus Status { get; internal set; }

    /// <summary>Why the measurement was skipped or failed; null when Completed.</summary>
    public string? SkipReason { get; internal set; }

    /// <summary>What carried the bytes in every counted copy: the path named like the Mode (Splice, Buffered, Sendfile); Mixed for Auto.</summary>
    public CopyPath CopyPathUsed { get; internal set; }

    /// <summary>Mean time per copy in nanoseconds: the number to set beside Go's ns/op.</summary>
    public double NanosecondsPerCopy { get; internal set; }

    public TimeSpan MeanTime { get; internal set; }

    public TimeSpan MedianTime { get; internal set; }

    /// <summary>99th percentile (nearest rank) of the time per copy.</summary>
    public TimeSpan P99Time { get; internal set; }

    public TimeSpan MinTime { get; internal set; }

    /// <summary>SizeBytes / MeanTime in megabytes (10^6 bytes) per second.</summary>
    public double ThroughputMBps { get; internal set; }

    /// <summary>SizeBytes / MeanTime in gigabits (10^9 bits) per second.</summary>
    public double ThroughputGbps { get; internal set; }

    /// <summary>Managed bytes allocated by the copying thread per copy (mean, rounded down like Go's B/op).</summary>
    public long AllocatedBytesPerCopy { get; internal set; }

    /// <summary>splice/sendfile/read/pread/write/poll/shutdown calls per copy (mean).</summary>
    public double SyscallsPerCopy { get; internal set; }

    /// <summary>CPU time (user + system) of the copying thread per copy (mean); null where the thread CPU clock is unavailable.</summary>
    public TimeSpan? CpuTimePerCopy { get; internal set; }

    /// <summary>
    /// For Splice, Sendfile and Auto rows: the Buffered mean time divided by this row's mean time, both measured in
    /// the same run, interleaved copy by copy. Above 1 means faster than Buffered. Null for Buffered rows
    /// and whenever Buffered was not measured (or did not complete) alongside.
    /// </summary>
    public double? SpeedupOverBuffered { get; internal set; }

    public override string ToString() =>
        Status == MeasurementStatus.Completed
            ? $"{Mode} {Source}→{Transport} {SizeBytes} B: {NanosecondsPerCopy:F0} ns/copy, {AllocatedBytesPerCopy} B/copy"
            : $"{Mode} {Source}→{Transport} {SizeBytes} B: {Status} ({SkipReason})";
}
