namespace ZeroCopyPS.Engine.Measurement;

/// <summary>The counted copies of one mode in one (transport, size) group of a <see cref="SocketCopyRunner"/> run.</summary>
internal sealed class CopySamples
{
    public CopySamples(int capacity) => Ticks = new long[capacity];

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

    /// <summary>Writes the figures into <paramref name="m"/>: numbers when every counted copy ran, the reason otherwise.</summary>
    public void Summarise(SocketCopyMeasurement m)
    {
        m.Iterations = Count;
        if (Failure is not null || Count == 0)
        {
            m.Status = Failure is null ? MeasurementStatus.Skipped : FailureStatus;
            m.SkipReason = Failure ?? "No copy was counted.";
            return;
        }
        TimingStatistics t = TimingStatistics.FromTicks(Ticks, Count);
        m.Status = MeasurementStatus.Completed;
        m.CopyPathUsed = Path;
        m.NanosecondsPerCopy = Math.Round(t.MeanNanoseconds, 1);
        m.MeanTime = TimingStatistics.ToTimeSpan(t.MeanNanoseconds);
        m.MedianTime = TimingStatistics.ToTimeSpan(t.MedianNanoseconds);
        m.P99Time = TimingStatistics.ToTimeSpan(t.P99Nanoseconds);
        m.MinTime = TimingStatistics.ToTimeSpan(t.MinNanoseconds);
        double seconds = t.MeanNanoseconds / 1e9;
        m.ThroughputMBps = Math.Round(m.SizeBytes / seconds / 1e6, 1);
        m.ThroughputGbps = Math.Round(m.SizeBytes * 8 / seconds / 1e9, 3);
        m.AllocatedBytesPerCopy = AllocatedBytes / Count;
        m.SyscallsPerCopy = Math.Round(Syscalls / (double)Count, 1);
        m.CpuTimePerCopy = CpuNanoseconds < 0 ? null : TimingStatistics.ToTimeSpan(CpuNanoseconds / (double)Count);
    }
}
