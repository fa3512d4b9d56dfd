using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The proxy's pipe budget (HAProxy's maxpipes): pipes in use plus pipes kept idle, over every loop,
/// never exceed <see cref="MaxPipes"/>. The count is one interlocked integer; the pipes themselves are
/// kept by each loop's <see cref="LoopPipeCache"/>, so renting and returning take no lock. A pipe the
/// kernel makes smaller than its default (past the user's pipe-user-pages-soft) is closed unused and
/// counted: one page per splice would cost eight times the syscalls of the buffered copy it replaces.
/// </summary>
internal sealed class PipePool
{
    /// <summary>The kernel's default pipe capacity; a smaller pipe means the user's pipe pages ran out.</summary>
    public const int DefaultCapacityBytes = 64 * 1024;

    private readonly int _requestedSizeBytes;
    private int _count;
    private int _capacityBytes;
    private long _refusedTooSmall;

    public PipePool(int maxPipes, int requestedSizeBytes)
    {
        MaxPipes = maxPipes;
        _requestedSizeBytes = requestedSizeBytes;
    }

    public int MaxPipes { get; }

    /// <summary>Pipes in existence (in use and idle, all loops).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Effective capacity of the last pipe made; 0 before the first.</summary>
    public int CapacityBytes => Volatile.Read(ref _capacityBytes);

    public long RefusedTooSmall => Interlocked.Read(ref _refusedTooSmall);

    /// <summary>A new pipe within the budget, or null with the reason to copy through a buffer instead.</summary>
    public SplicePipe? TryCreate(out FallbackReason reason)
    {
        if (Interlocked.Increment(ref _count) > MaxPipes)
        {
            Interlocked.Decrement(ref _count);
            reason = FallbackReason.PipeBudgetExhausted;
            return null;
        }
        if (!DescriptorBudget.TryReserve(DescriptorBudget.PerPipe))
        {
            Interlocked.Decrement(ref _count);
            reason = FallbackReason.DescriptorLimit;
            return null;
        }
        SplicePipe? pipe = SplicePipe.TryCreate(_requestedSizeBytes, out _);
        if (pipe is null || pipe.CapacityBytes < DefaultCapacityBytes)
        {
            reason = pipe is null ? FallbackReason.PipeCreationFailed : FallbackReason.PipeTooSmall;
            if (pipe is not null) Interlocked.Increment(ref _refusedTooSmall);
            pipe?.Dispose();
            DescriptorBudget.Release(DescriptorBudget.PerPipe);
            Interlocked.Decrement(ref _count);
            return null;
        }
        Volatile.Write(ref _capacityBytes, pipe.CapacityBytes);
        reason = FallbackReason.None;
        return pipe;
    }

    /// <summary>Closes a pipe and gives its place in the budget back.</summary>
    public void Destroy(SplicePipe pipe)
    {
        pipe.Dispose();
        DescriptorBudget.Release(DescriptorBudget.PerPipe);
        Interlocked.Decrement(ref _count);
    }
}
