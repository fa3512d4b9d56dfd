using ZeroCopyPS.Engine.Interop;
using ZeroCopyPS.Engine.Policy;

namespace ZeroCopyPS.Engine.Epoll;

/// <summary>
/// The proxy's pipe budget, over every loop: the capacity of the pipes in use plus those kept idle never
/// passes <see cref="MaxBytes"/> (MaxPipeMemoryBytes), and their number never passes <see cref="MaxPipes"/>
/// (two descriptors each). Both are interlocked counters; the pipes themselves are kept by each loop's
/// <see cref="LoopPipeCache"/>, so renting and returning take no lock. A pipe the kernel makes smaller than
/// its default (past the user's pipe-user-pages-soft) is closed unused and counted: one page per splice
/// would cost eight times the syscalls of the buffered copy it replaces. A resize the kernel refuses or
/// shortens leaves the pipe at the size it got, counted (docs/ARCHITECTURE.md, "Adaptive pipes").
/// </summary>
internal sealed class PipePool
{
    private readonly PipeResizer _resize;
    private int _count;
    private long _bytes;
    private long _peakBytes;
    private int _lastCapacityBytes;
    private long _refusedTooSmall;
    private long _growths;
    private long _growthsRefused;
    private long _budgetDenials;

    public PipePool(int maxPipes, long maxBytes, PipeSizeClasses classes, PipeResizer? resize = null)
    {
        MaxPipes = maxPipes;
        MaxBytes = maxBytes;
        Classes = classes;
        _resize = resize ?? KernelResize;
    }

    public int MaxPipes { get; }

    public long MaxBytes { get; }

    public PipeSizeClasses Classes { get; }

    /// <summary>Pipes in existence (in use and idle, all loops).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Their capacity, in bytes: what counts against <see cref="MaxBytes"/>.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The most <see cref="Bytes"/> ever held at once since start.</summary>
    public long PeakBytes => Interlocked.Read(ref _peakBytes);

    public long RefusedTooSmall => Interlocked.Read(ref _refusedTooSmall);

    /// <summary>The capacity of the last pipe made (what a fixed-size measurement reports); 0 before the first.</summary>
    public int LastCapacityBytes => Volatile.Read(ref _lastCapacityBytes);

    /// <summary>Pipes grown one size class in place.</summary>
    public long Growths => Interlocked.Read(ref _growths);

    /// <summary>Resizes the kernel refused or granted in part (the pipe kept what it got).</summary>
    public long GrowthsRefused => Interlocked.Read(ref _growthsRefused);

    /// <summary>Pipes not made, or not grown, because the budget (bytes or count) had no room.</summary>
    public long BudgetDenials => Interlocked.Read(ref _budgetDenials);

    public static int KernelResize(int writeFd, int requestedBytes, out int errno)
    {
        int capacity = Libc.fcntl(writeFd, Flags.F_SETPIPE_SZ, requestedBytes);
        errno = capacity < 0 ? Libc.LastErrno : 0;
        return capacity;
    }

    /// <summary>A new pipe of <paramref name="sizeClass"/> (or the size the kernel granted) within the budget, or null with the reason to copy through a buffer instead.</summary>
    public SplicePipe? TryCreate(int sizeClass, out FallbackReason reason)
    {
        int wanted = Classes.Bytes(sizeClass);
        if (Interlocked.Increment(ref _count) > MaxPipes || !TryReserveBytes(wanted))
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _budgetDenials);
            reason = FallbackReason.PipeBudgetExhausted;
            return null;
        }
        if (!DescriptorBudget.TryReserve(DescriptorBudget.PerPipe))
        {
            Release(wanted);
            reason = FallbackReason.DescriptorLimit;
            return null;
        }
        SplicePipe? pipe = SplicePipe.TryCreate(out _);
        if (pipe is null || pipe.CapacityBytes < PipeSizeClasses.DefaultCapacityBytes)
        {
            reason = pipe is null ? FallbackReason.PipeCreationFailed : FallbackReason.PipeTooSmall;
            if (pipe is not null) Interlocked.Increment(ref _refusedTooSmall);
            pipe?.Dispose();
            DescriptorBudget.Release(DescriptorBudget.PerPipe);
            Release(wanted);
            return null;
        }
        if (pipe.CapacityBytes < wanted && !pipe.TryResize(_resize, wanted, out _)) Interlocked.Increment(ref _growthsRefused);
        Adjust(pipe.CapacityBytes - wanted);
        pipe.SizeClass = Classes.ClassOf(pipe.CapacityBytes);
        Volatile.Write(ref _lastCapacityBytes, pipe.CapacityBytes);
        reason = FallbackReason.None;
        return pipe;
    }

    /// <summary>Grows an empty pipe one size class, if the budget has room; what the kernel grants is kept.</summary>
    public PipeGrowth TryGrow(SplicePipe pipe)
    {
        if (pipe.SizeClass + 1 >= Classes.Count) return PipeGrowth.AtCap;
        int wanted = Classes.Bytes(pipe.SizeClass + 1);
        int before = pipe.CapacityBytes;
        if (!TryReserveBytes(wanted - before))
        {
            Interlocked.Increment(ref _budgetDenials);
            return PipeGrowth.BudgetFull;
        }
        bool grown = pipe.TryResize(_resize, wanted, out _);
        Adjust(pipe.CapacityBytes - wanted);
        pipe.SizeClass = Classes.ClassOf(pipe.CapacityBytes);
        Interlocked.Increment(ref grown ? ref _growths : ref _growthsRefused);
        return grown ? PipeGrowth.Grown : PipeGrowth.Refused;
    }

    /// <summary>Closes a pipe and gives its place in the budget back.</summary>
    public void Destroy(SplicePipe pipe)
    {
        int capacity = pipe.CapacityBytes;
        pipe.Dispose();
        DescriptorBudget.Release(DescriptorBudget.PerPipe);
        Release(capacity);
    }

    private void Release(long bytes)
    {
        Interlocked.Add(ref _bytes, -bytes);
        Interlocked.Decrement(ref _count);
    }

    // Compare-and-swap, not add-then-check: the sum never passes the budget, not even for a moment, so the
    // peak is a true high-water mark.
    private bool TryReserveBytes(long bytes)
    {
        long current = Interlocked.Read(ref _bytes);
        while (true)
        {
            long next = current + bytes;
            if (bytes > 0 && next > MaxBytes) return false;
            long seen = Interlocked.CompareExchange(ref _bytes, next, current);
            if (seen == current)
            {
                RaisePeak(next);
                return true;
            }
            current = seen;
        }
    }

    // The kernel granted other than the class asked for (less, normally): the budget follows the pipe.
    private void Adjust(long bytes)
    {
        if (bytes != 0) RaisePeak(Interlocked.Add(ref _bytes, bytes));
    }

    private void RaisePeak(long bytes)
    {
        long peak = Interlocked.Read(ref _peakBytes);
        while (bytes > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakBytes, bytes, peak);
            if (seen == peak) return;
            peak = seen;
        }
    }
}
