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
    /// invariant 2): 4 MiB is four full drains of a grown (1 MiB) pipe, a few milliseconds of work. At 1 MiB a bulk
    /// direction yielded after every full drain, and that extra round cost 6–9 % more CPU per GiB at 1 and 8 streams
    /// (docs/benchmarks.md, "Hot path: one change at a time").
    /// </summary>
    public int BudgetBytesPerRun { get; init; } = 4 * 1024 * 1024;
}
