namespace ZeroCopyPS.Engine.Copy;

/// <summary>What every direction on one event loop shares: the pools, the loop's counters and the copy settings.</summary>
internal sealed class RelayContext
{
    public RelayContext(PipePool pipes, BufferPool buffers, CopyMode mode, int autoSpliceThresholdBytes)
    {
        Pipes = pipes;
        Buffers = buffers;
        Mode = mode;
        AutoSpliceThresholdBytes = autoSpliceThresholdBytes;
    }

    public PipePool Pipes { get; }

    public BufferPool Buffers { get; }

    public CopyMode Mode { get; }

    public int AutoSpliceThresholdBytes { get; }

    public TrafficCounters Counters { get; } = new();

    /// <summary>
    /// Bytes one direction may read per wake-up before yielding to other connections (DESIGN §3.2):
    /// 1 MiB is 16 default pipes' worth, enough to amortise the wake-up, small enough not to starve.
    /// </summary>
    public int BudgetBytesPerRun { get; init; } = 1024 * 1024;
}
