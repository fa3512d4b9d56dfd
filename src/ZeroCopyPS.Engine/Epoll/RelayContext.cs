using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>What every direction on one event loop shares: the loop's pools and counters and the copy settings.</summary>
internal sealed class RelayContext
{
    public RelayContext(LoopPipeCache pipes, BufferPool buffers, CopyMode mode, int autoSpliceThresholdBytes)
    {
        Pipes = pipes;
        Buffers = buffers;
        Mode = mode;
        AutoSpliceThresholdBytes = autoSpliceThresholdBytes;
    }

    public LoopPipeCache Pipes { get; }

    public BufferPool Buffers { get; }

    public CopyMode Mode { get; }

    public int AutoSpliceThresholdBytes { get; }

    public TrafficCounters Counters { get; } = new();

    /// <summary>
    /// Bytes one direction may read per wake-up before yielding to other connections (docs/ARCHITECTURE.md,
    /// invariant 2): 1 MiB is 16 default pipes' worth, enough to amortise the wake-up, small enough not to starve.
    /// </summary>
    public int BudgetBytesPerRun { get; init; } = 1024 * 1024;
}
